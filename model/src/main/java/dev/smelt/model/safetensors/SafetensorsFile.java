package dev.smelt.model.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file, memory-mapped.
 *
 * <pre>
 * offset  size  field
 * 0       8     u64 little-endian N = header length
 * 8       N     UTF-8 JSON: { NAME: {"dtype": "F32"|"F16"|"BF16"|"I32"|"I64"|"U8"|…, "shape": [..],
 *               "data_offsets": [begin, end]}, …, "__metadata__": {string: string} }
 * 8+N     …     tensor data; offsets are relative to 8+N, little-endian, row-major
 * </pre>
 * Every entry is checked (dtype known, offsets inside the data, size = product(shape)·dtype size)
 * before use. Thread-safety: immutable after open; close unmaps.
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One tensor's entry. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data, Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.entries = Collections.unmodifiableMap(entries);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    public static SafetensorsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IOException(path + ": not a safetensors file: " + size + " bytes (need an 8-byte header length)");
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n <= 0 || n > size - 8) {
                throw new IOException(path + ": at byte offset 0: header length " + n + " exceeds the file (" + size + " bytes)");
            }
            String header = new String(seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            JsonNode root;
            try {
                root = JSON.readTree(header);
            } catch (IOException e) {
                throw new IOException(path + ": at byte offset 8: malformed JSON header: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (root == null || !root.isObject()) {
                throw new IOException(path + ": at byte offset 8: header is not a JSON object");
            }
            MemorySegment body = seg.asSlice(8 + n);
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(e.getKey(), entry(path, e.getKey(), e.getValue(), body.byteSize()));
            }
            checkNoOverlap(path, entries);
            return new SafetensorsFile(path, arena, body, entries, meta);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Two tensors sharing bytes would read each other's weights (and a converter would copy them twice). */
    private static void checkNoOverlap(Path path, Map<String, Entry> entries) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin() < a.end() && b.end() > b.begin()) {
                throw new IOException(path + ": tensor " + dev.smelt.model.text.Quote.of(b.name()) + " data_offsets [" + b.begin() + ", " + b.end()
                        + "] overlap tensor " + dev.smelt.model.text.Quote.of(a.name()) + " [" + a.begin() + ", " + a.end() + "]");
            }
        }
    }

    private static Entry entry(Path path, String name, JsonNode n, long dataSize) throws IOException {
        String where = path + ": tensor '" + name + "': ";
        String dtype = n.path("dtype").asText(null);
        int es = dtypeSize(dtype);
        if (es < 0) {
            throw new IOException(where + "unsupported dtype " + dtype);
        }
        JsonNode sh = n.path("shape");
        JsonNode off = n.path("data_offsets");
        if (!sh.isArray() || !off.isArray() || off.size() != 2) {
            throw new IOException(where + "needs 'shape' and two 'data_offsets'");
        }
        long[] shape = new long[sh.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = sh.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new IOException(where + "negative or non-integer dimension in shape " + dev.smelt.model.text.Quote.cut(sh));
            }
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new IOException(where + "shape " + dev.smelt.model.text.Quote.cut(sh) + " has more elements than 64 bits can count");
            }
        }
        long begin = off.get(0).asLong(-1);
        long end = off.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw new IOException(where + "data_offsets [" + begin + ", " + end + "] lie outside the data (" + dataSize + " bytes)");
        }
        if (elements > Long.MAX_VALUE / es || end - begin != elements * es) {
            throw new IOException(where + "holds " + (end - begin) + " bytes but shape " + dev.smelt.model.text.Quote.cut(sh) + " of " + dtype + " needs "
                    + (elements > Long.MAX_VALUE / es ? "more than 2^63" : Long.toString(elements * es)));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    static int dtypeSize(String dtype) {
        if (dtype == null) {
            return -1;
        }
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> -1;
        };
    }

    public Path path() {
        return path;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException(path + ": no tensor named '" + name + "'");
        }
        return e;
    }

    /** The tensor's bytes. */
    public MemorySegment bytes(String name) {
        Entry e = entry(name);
        return data.asSlice(e.begin(), e.end() - e.begin());
    }

    /** The tensor as floats (F32, F16 and BF16 converted). */
    public float[] floats(String name) {
        Entry e = entry(name);
        MemorySegment s = bytes(name);
        int n = Math.toIntExact(e.elements());
        float[] out = new float[n];
        switch (e.dtype()) {
            case "F32" -> MemorySegment.copy(s, F32, 0, out, 0, n);
            case "F16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(s.get(I16, 2L * i));
                }
            }
            case "BF16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((s.get(I16, 2L * i) & 0xFFFF) << 16);
                }
            }
            default -> throw new IllegalArgumentException(path + ": tensor '" + name + "' is " + e.dtype() + ", not a float type");
        }
        return out;
    }

    /** The tensor as ints (I32). */
    public int[] ints(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("I32")) {
            throw new IllegalArgumentException(path + ": tensor '" + name + "' is " + e.dtype() + ", not I32");
        }
        int[] out = new int[Math.toIntExact(e.elements())];
        MemorySegment.copy(bytes(name), I32, 0, out, 0, out.length);
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
