package dev.smelt.model.gguf;

import dev.smelt.model.text.Quote;
import dev.smelt.tensor.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file, memory-mapped read-only; tensor data is never copied onto the heap.
 *
 * <h2>Layout (all integers little-endian)</h2>
 * <pre>
 * offset  size  field
 * 0       4     magic "GGUF" (bytes 47 47 55 46)
 * 4       4     u32 version (2 or 3 supported; version 1 used 32-bit counts and is rejected)
 * 8       8     u64 tensor_count
 * 16      8     u64 metadata_kv_count
 * 24      ...   metadata_kv_count × { string key; u32 value_type; value }
 *         ...   tensor_count × { string name; u32 n_dims (1..4); u64 dims[n_dims]; u32 ggml_type; u64 offset }
 *         ...   padding to general.alignment (u32 metadata, default 32, a power of two)
 *         ...   tensor data; each tensor at data_start + offset, offsets aligned to general.alignment
 *
 * string = u64 byte length + UTF-8 bytes (no terminator)
 * value  = by value_type: 0 u8, 1 i8, 2 u16, 3 i16, 4 u32, 5 i32, 6 f32, 7 bool (1 byte, 0 or 1),
 *          8 string, 9 array = { u32 element_type; u64 count; count × value }, 10 u64, 11 i64, 12 f64
 * </pre>
 *
 * <p>Every count and offset is checked against the bytes that remain before anything is allocated,
 * so a corrupt header gives a {@link GgufException} naming the byte offset, never an OOM or a hang.
 *
 * <p>Thread-safety: immutable after {@link #open}; the mapping is shared and valid until {@link #close}.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_NESTING = 8;

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long dataOffset;
    private final int alignment;

    private GgufFile(Path path, Arena arena, MemorySegment file, int version, Map<String, GgufValue> metadata,
                     List<GgufTensorInfo> tensors, long dataOffset, int alignment) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new HashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = byName;
        this.dataOffset = dataOffset;
        this.alignment = alignment;
    }

    /** Maps and parses {@code path}. */
    public static GgufFile open(Path path) throws IOException {
        if (!java.nio.file.Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such GGUF file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new Parser(path.toString(), seg).parse(path, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Absolute file offset where tensor data starts. */
    public long dataOffset() {
        return dataOffset;
    }

    /** The whole file, mapped. */
    public MemorySegment segment() {
        return file;
    }

    /** All metadata in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, or null. */
    public GgufTensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    /** A slice of the mapping holding exactly this tensor's bytes. */
    public MemorySegment tensorData(GgufTensorInfo t) {
        return file.asSlice(t.fileOffset(), t.byteSize());
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /** The raw value for {@code key}, or null. */
    public Object get(String key) {
        GgufValue v = metadata.get(key);
        return v == null ? null : v.value();
    }

    public String getString(String key, String def) {
        return get(key) instanceof String s ? s : def;
    }

    public long getLong(String key, long def) {
        return switch (get(key)) {
            case Long l -> l;
            case Boolean b -> b ? 1 : 0;
            case null, default -> def;
        };
    }

    public int getInt(String key, int def) {
        return (int) getLong(key, def);
    }

    public float getFloat(String key, float def) {
        return switch (get(key)) {
            case Float f -> f;
            case Double d -> d.floatValue();
            case Long l -> l.floatValue();
            case null, default -> def;
        };
    }

    public boolean getBool(String key, boolean def) {
        return switch (get(key)) {
            case Boolean b -> b;
            case Long l -> l != 0;
            case null, default -> def;
        };
    }

    /** Array value for {@code key}, or null when absent or not an array. */
    public GgufArray getArray(String key) {
        return get(key) instanceof GgufArray a ? a : null;
    }

    public String[] getStringArray(String key) {
        GgufArray a = getArray(key);
        return a != null && a.values() instanceof String[] s ? s : null;
    }

    public float[] getFloatArray(String key) {
        GgufArray a = getArray(key);
        return a != null && a.values() instanceof float[] f ? f : null;
    }

    public int[] getIntArray(String key) {
        GgufArray a = getArray(key);
        return a != null && a.values() instanceof int[] i ? i : null;
    }

    /** The architecture name ({@code general.architecture}), or null. */
    public String architecture() {
        return getString("general.architecture", null);
    }

    @Override
    public void close() {
        arena.close();
    }

    /** Cursor over the mapped header; every read is bounds-checked with the offset in the error. */
    private static final class Parser {
        private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final String name;
        private final MemorySegment seg;
        private final long size;
        private long pos;

        Parser(String name, MemorySegment seg) {
            this.name = name;
            this.seg = seg;
            this.size = seg.byteSize();
        }

        GgufException error(long at, String msg) {
            return new GgufException(name, at, msg);
        }

        void need(long bytes, String what) throws GgufException {
            if (bytes < 0 || bytes > size - pos) {
                throw error(pos, "truncated file: " + what + " needs " + (bytes < 0 ? "an impossible number of" : Long.toString(bytes))
                        + " bytes but only " + (size - pos) + " remain (file size " + size + ")");
            }
        }

        int u32(String what) throws GgufException {
            need(4, what);
            int v = seg.get(U32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) throws GgufException {
            need(8, what);
            long v = seg.get(U64, pos);
            pos += 8;
            return v;
        }

        String string(String what) throws GgufException {
            long at = pos;
            long len = u64(what + " length");
            if (len < 0 || len > size - pos) {
                throw error(at, what + ": string length " + Long.toUnsignedString(len) + " exceeds the " + (size - pos) + " bytes that remain");
            }
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            long start = pos;
            pos += len;
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
            java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
            CoderResult r = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in, out, true);
            if (r.isError()) {
                // A lossy decode would hand the tokenizer pieces whose lengths no longer match their bytes.
                throw error(start + in.position(), what + " is not valid UTF-8 (bad byte 0x"
                        + String.format("%02X", bytes[in.position()] & 0xFF) + " at index " + in.position() + " of the string)");
            }
            return out.flip().toString();
        }

        GgufFile parse(Path path, Arena arena) throws GgufException {
            if (size < 4) {
                throw error(0, "not a GGUF file: only " + size + " bytes");
            }
            int magic = seg.get(U32, 0);
            if (magic != MAGIC) {
                throw error(0, String.format("bad magic 0x%08X: not a GGUF file (expected \"GGUF\")", magic));
            }
            pos = 4;
            int version = u32("version");
            if (version != 2 && version != 3) {
                throw error(4, "unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
            }
            long tensorCountAt = pos;
            long tensorCount = u64("tensor count");
            long kvCountAt = pos;
            long kvCount = u64("metadata count");
            // Each KV needs at least 8 (key len) + 4 (type) + 1 bytes; each tensor at least 8 + 4 + 8 + 4 + 8.
            if (kvCount < 0 || kvCount > (size - pos) / 13) {
                throw error(kvCountAt, "metadata count " + Long.toUnsignedString(kvCount) + " is impossible for a file of " + size + " bytes");
            }
            if (tensorCount < 0 || tensorCount > (size - pos) / 32) {
                throw error(tensorCountAt, "tensor count " + Long.toUnsignedString(tensorCount) + " is impossible for a file of " + size + " bytes");
            }
            Map<String, GgufValue> metadata = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                long at = pos;
                String key = string("metadata key #" + i);
                if (metadata.containsKey(key)) {
                    throw error(at, "duplicate metadata key " + Quote.of(key));
                }
                long typeAt = pos;
                int typeId = u32("type of " + Quote.of(key));
                GgufValueType type = GgufValueType.fromId(typeId);
                if (type == null) {
                    throw error(typeAt, "unknown metadata value type " + typeId + " for key " + Quote.of(key));
                }
                metadata.put(key, new GgufValue(type, value(type, key, 0)));
            }
            int alignment = DEFAULT_ALIGNMENT;
            GgufValue al = metadata.get("general.alignment");
            if (al != null) {
                if (!(al.value() instanceof Long l) || l <= 0 || l > (1 << 30) || Long.bitCount(l) != 1) {
                    throw error(24, "general.alignment must be a positive power of two, got " + al.value());
                }
                alignment = (int) (long) (Long) al.value();
            }
            List<GgufTensorInfo> infos = new ArrayList<>();
            List<Long> infoOffsets = new ArrayList<>();
            List<Long> relOffsets = new ArrayList<>();
            Map<String, Long> seen = new HashMap<>();
            for (long i = 0; i < tensorCount; i++) {
                long at = pos;
                String tname = string("tensor name #" + i);
                if (seen.containsKey(tname)) {
                    throw error(at, "duplicate tensor name " + Quote.of(tname) + " (first at offset " + seen.get(tname) + ")");
                }
                seen.put(tname, at);
                long dimsAt = pos;
                int nDims = u32("n_dims of " + Quote.of(tname));
                if (nDims < 1 || nDims > MAX_DIMS) {
                    throw error(dimsAt, "tensor " + Quote.of(tname) + " has " + Integer.toUnsignedString(nDims) + " dimensions (1.." + MAX_DIMS + " allowed)");
                }
                long[] dims = new long[nDims];
                long elements = 1;
                for (int d = 0; d < nDims; d++) {
                    long dAt = pos;
                    dims[d] = u64("dimension " + d + " of " + Quote.of(tname));
                    if (dims[d] <= 0) {
                        throw error(dAt, "tensor " + Quote.of(tname) + " dimension " + d + " is " + Long.toUnsignedString(dims[d]) + " (must be positive)");
                    }
                    try {
                        elements = Math.multiplyExact(elements, dims[d]);
                    } catch (ArithmeticException e) {
                        throw error(dAt, "tensor " + Quote.of(tname) + " element count overflows 64 bits");
                    }
                }
                long typeAt = pos;
                int typeId = u32("type of " + Quote.of(tname));
                GgmlType type = GgmlType.fromId(typeId);
                if (type == null) {
                    throw error(typeAt, "tensor " + Quote.of(tname) + " has unknown or unsupported ggml type id " + typeId);
                }
                if (dims[0] % type.blockSize() != 0) {
                    throw error(dimsAt, "tensor " + Quote.of(tname) + " row length " + dims[0] + " is not a multiple of " + type + "'s block size " + type.blockSize());
                }
                long bytes;
                try {
                    bytes = type.bytesFor(elements);
                } catch (ArithmeticException e) {
                    throw error(dimsAt, "tensor " + Quote.of(tname) + " byte size overflows 64 bits");
                }
                long offAt = pos;
                long rel = u64("data offset of " + Quote.of(tname));
                if (rel < 0 || rel % alignment != 0) {
                    throw error(offAt, "tensor " + Quote.of(tname) + " data offset " + Long.toUnsignedString(rel) + " is not a multiple of the alignment " + alignment);
                }
                infos.add(new GgufTensorInfo(tname, dims, type, 0, bytes));
                infoOffsets.add(offAt);
                relOffsets.add(rel);
            }
            long dataStart = (pos + alignment - 1) / alignment * alignment;
            if (tensorCount > 0 && dataStart > size) {
                throw error(pos, "truncated file: tensor data would start at " + dataStart + " but the file has " + size + " bytes");
            }
            List<GgufTensorInfo> placed = new ArrayList<>(infos.size());
            for (int i = 0; i < infos.size(); i++) {
                GgufTensorInfo t = infos.get(i);
                long rel = relOffsets.get(i);
                long abs = dataStart + rel;
                if (rel > size || abs < 0 || abs > size || t.byteSize() > size - abs) {
                    throw error(infoOffsets.get(i), "tensor " + Quote.of(t.name()) + " data [" + abs + ", " + (abs + t.byteSize())
                            + ") lies beyond the end of the file (" + size + " bytes): truncated or corrupt");
                }
                placed.add(new GgufTensorInfo(t.name(), t.dims(), t.type(), abs, t.byteSize()));
            }
            checkNoOverlap(placed, infoOffsets);
            return new GgufFile(path, arena, seg, version, metadata, placed, dataStart, alignment);
        }

        /**
         * Tensor byte ranges must not share bytes: an overlap means a wrong offset or a type id whose block size
         * does not match the data written for it, and either way one tensor would read another's weights.
         */
        private void checkNoOverlap(List<GgufTensorInfo> placed, List<Long> infoOffsets) throws GgufException {
            Integer[] order = new Integer[placed.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, java.util.Comparator.comparingLong(i -> placed.get(i).fileOffset()));
            for (int k = 1; k < order.length; k++) {
                GgufTensorInfo prev = placed.get(order[k - 1]);
                GgufTensorInfo cur = placed.get(order[k]);
                long prevEnd = prev.fileOffset() + prev.byteSize();
                if (cur.fileOffset() < prevEnd) {
                    throw error(infoOffsets.get(order[k]), "tensor " + Quote.of(cur.name()) + " data [" + cur.fileOffset() + ", "
                            + (cur.fileOffset() + cur.byteSize()) + ") overlaps tensor " + Quote.of(prev.name()) + " [" + prev.fileOffset()
                            + ", " + prevEnd + ") (" + prev.type() + " " + java.util.Arrays.toString(prev.dims())
                            + "): wrong data offset, or a type id that does not match the data");
                }
            }
        }

        private Object value(GgufValueType type, String key, int depth) throws GgufException {
            String what = "value of " + Quote.of(key);
            return switch (type) {
                case UINT8 -> { need(1, what); yield (long) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF); }
                case INT8 -> { need(1, what); yield (long) seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> { need(2, what); long v = seg.get(U16, pos) & 0xFFFF; pos += 2; yield v; }
                case INT16 -> { need(2, what); long v = seg.get(U16, pos); pos += 2; yield v; }
                case UINT32 -> Integer.toUnsignedLong(u32(what));
                case INT32 -> (long) u32(what);
                case FLOAT32 -> { need(4, what); float f = seg.get(F32, pos); pos += 4; yield f; }
                case BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) {
                        throw error(pos, "bool " + what + " has byte value " + b + " (must be 0 or 1)");
                    }
                    pos++;
                    yield b == 1;
                }
                case STRING -> string(what);
                case UINT64, INT64 -> u64(what);
                case FLOAT64 -> { need(8, what); double d = seg.get(F64, pos); pos += 8; yield d; }
                case ARRAY -> array(key, depth);
            };
        }

        private GgufArray array(String key, int depth) throws GgufException {
            long at = pos;
            if (depth >= MAX_NESTING) {
                throw error(at, "array " + Quote.of(key) + " nests deeper than " + MAX_NESTING + " levels");
            }
            int typeId = u32("array element type of " + Quote.of(key));
            GgufValueType et = GgufValueType.fromId(typeId);
            if (et == null) {
                throw error(at, "unknown array element type " + typeId + " for key " + Quote.of(key));
            }
            long countAt = pos;
            long count = u64("array length of " + Quote.of(key));
            long minElem = et.size() > 0 ? et.size() : (et == GgufValueType.STRING ? 8 : 12);
            if (count < 0 || count > (size - pos) / minElem || count > Integer.MAX_VALUE - 8) {
                throw error(countAt, "array " + Quote.of(key) + " claims " + Long.toUnsignedString(count) + " elements of " + et
                        + " but only " + (size - pos) + " bytes remain");
            }
            int n = (int) count;
            return switch (et) {
                case UINT8, INT8, UINT16, INT16, UINT32, INT32 -> {
                    int[] a = new int[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (int) (long) (Long) value(et, key, depth + 1);
                    }
                    yield new GgufArray(et, a);
                }
                case UINT64, INT64 -> {
                    long[] a = new long[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = u64("element " + i + " of " + Quote.of(key));
                    }
                    yield new GgufArray(et, a);
                }
                case FLOAT32 -> {
                    float[] a = new float[n];
                    MemorySegment.copy(seg, F32, pos, a, 0, n);
                    pos += 4L * n;
                    yield new GgufArray(et, a);
                }
                case FLOAT64 -> {
                    double[] a = new double[n];
                    MemorySegment.copy(seg, F64, pos, a, 0, n);
                    pos += 8L * n;
                    yield new GgufArray(et, a);
                }
                case BOOL -> {
                    boolean[] a = new boolean[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = (Boolean) value(et, key, depth + 1);
                    }
                    yield new GgufArray(et, a);
                }
                case STRING -> {
                    String[] a = new String[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = string("element " + i + " of " + Quote.of(key));
                    }
                    yield new GgufArray(et, a);
                }
                case ARRAY -> {
                    GgufArray[] a = new GgufArray[n];
                    for (int i = 0; i < n; i++) {
                        a[i] = array(key, depth + 1);
                    }
                    yield new GgufArray(et, a);
                }
            };
        }
    }
}
