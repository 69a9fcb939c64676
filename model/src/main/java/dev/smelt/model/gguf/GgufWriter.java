package dev.smelt.model.gguf;

import dev.smelt.tensor.GgmlType;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF v3 files laid out as llama.cpp's {@code gguf_write_to_file} does (see {@link GgufFile} for
 * the byte layout): metadata in insertion order, tensor infos with offsets relative to the data section,
 * each tensor's data padded with zeros to {@code general.alignment} (default 32). Tensor bytes are
 * streamed from their sources, so multi-GB models never sit on the heap. The file is written to
 * {@code OUT.tmp} and renamed into place, so a crash never leaves a half-written model.
 *
 * <p>Not thread-safe: build, then {@link #write} once.
 */
public final class GgufWriter {
    /** Supplies a tensor's bytes when the file is written. */
    @FunctionalInterface
    public interface TensorData {
        void writeTo(OutputStream out) throws IOException;
    }

    private record Entry(String name, long[] dims, GgmlType type, long bytes, TensorData data) {
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Sets (or replaces) a metadata value, keeping first-insertion order. */
    public GgufWriter put(String key, GgufValue value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata key must be non-empty");
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putAll(Map<String, GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** Adds a tensor whose bytes come from {@code data} (exactly {@code type.bytesFor(elements)} of them). */
    public GgufWriter tensor(String name, long[] dims, GgmlType type, TensorData data) {
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        long n = 1;
        for (long d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has non-positive dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        if (dims.length == 0 || dims.length > 4 || dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' dims " + java.util.Arrays.toString(dims) + " do not fit type " + type);
        }
        tensors.add(new Entry(name, dims.clone(), type, type.bytesFor(n), data));
        return this;
    }

    /** Adds a tensor from a byte array. */
    public GgufWriter tensor(String name, long[] dims, GgmlType type, byte[] data) {
        return tensor(name, dims, type, out -> out.write(data));
    }

    /** Adds a tensor from a memory segment (e.g. a slice of another mapped GGUF). */
    public GgufWriter tensor(String name, long[] dims, GgmlType type, MemorySegment data) {
        return tensor(name, dims, type, out -> {
            byte[] buf = new byte[1 << 20];
            long size = data.byteSize();
            for (long off = 0; off < size; off += buf.length) {
                int n = (int) Math.min(buf.length, size - off);
                MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, buf, 0, n);
                out.write(buf, 0, n);
            }
        });
    }

    /** Writes the file atomically (temp file + rename). */
    public void write(Path out) throws IOException {
        int alignment = GgufFile.DEFAULT_ALIGNMENT;
        GgufValue al = metadata.get("general.alignment");
        if (al != null && al.value() instanceof Long l) {
            alignment = (int) (long) l;
        }
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("general.alignment must be a power of two, got " + alignment);
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (CountingStream cs = new CountingStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20));
             DataOutputStream d = new DataOutputStream(cs)) {
            d.writeInt(Integer.reverseBytes(GgufFile.MAGIC));
            d.writeInt(Integer.reverseBytes(3));
            d.writeLong(Long.reverseBytes(tensors.size()));
            d.writeLong(Long.reverseBytes(metadata.size()));
            for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
                string(d, e.getKey());
                d.writeInt(Integer.reverseBytes(e.getValue().type().id()));
                value(d, e.getValue().type(), e.getValue().value());
            }
            long offset = 0;
            for (Entry t : tensors) {
                string(d, t.name);
                d.writeInt(Integer.reverseBytes(t.dims.length));
                for (long dim : t.dims) {
                    d.writeLong(Long.reverseBytes(dim));
                }
                d.writeInt(Integer.reverseBytes(t.type.id()));
                d.writeLong(Long.reverseBytes(offset));
                offset += pad(t.bytes, alignment);
            }
            d.flush();
            zeros(d, pad(cs.count, alignment) - cs.count);
            for (Entry t : tensors) {
                long before = cs.count;
                t.data.writeTo(d);
                d.flush();
                long written = cs.count - before;
                if (written != t.bytes) {
                    throw new IOException("tensor '" + t.name + "' supplied " + written + " bytes, expected " + t.bytes);
                }
                zeros(d, pad(t.bytes, alignment) - t.bytes);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long pad(long n, int alignment) {
        return (n + alignment - 1) / alignment * alignment;
    }

    private static void zeros(DataOutputStream d, long n) throws IOException {
        for (long i = 0; i < n; i++) {
            d.write(0);
        }
    }

    private static void string(DataOutputStream d, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        d.writeLong(Long.reverseBytes(b.length));
        d.write(b);
    }

    private static void value(DataOutputStream d, GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> d.writeByte((int) (long) (Long) v);
            case UINT16, INT16 -> d.writeShort(Short.reverseBytes((short) (long) (Long) v));
            case UINT32, INT32 -> d.writeInt(Integer.reverseBytes((int) (long) (Long) v));
            case UINT64, INT64 -> d.writeLong(Long.reverseBytes((Long) v));
            case FLOAT32 -> d.writeInt(Integer.reverseBytes(Float.floatToRawIntBits((Float) v)));
            case FLOAT64 -> d.writeLong(Long.reverseBytes(Double.doubleToRawLongBits((Double) v)));
            case BOOL -> d.writeByte((Boolean) v ? 1 : 0);
            case STRING -> string(d, (String) v);
            case ARRAY -> array(d, (GgufArray) v);
        }
    }

    private static void array(DataOutputStream d, GgufArray a) throws IOException {
        d.writeInt(Integer.reverseBytes(a.elementType().id()));
        d.writeLong(Long.reverseBytes(a.length()));
        switch (a.values()) {
            case int[] x -> {
                for (int v : x) {
                    value(d, a.elementType(), Integer.toUnsignedLong(v) & mask(a.elementType()));
                }
            }
            case long[] x -> {
                for (long v : x) {
                    d.writeLong(Long.reverseBytes(v));
                }
            }
            case float[] x -> {
                for (float v : x) {
                    d.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(v)));
                }
            }
            case double[] x -> {
                for (double v : x) {
                    d.writeLong(Long.reverseBytes(Double.doubleToRawLongBits(v)));
                }
            }
            case boolean[] x -> {
                for (boolean v : x) {
                    d.writeByte(v ? 1 : 0);
                }
            }
            case String[] x -> {
                for (String v : x) {
                    string(d, v);
                }
            }
            case GgufArray[] x -> {
                for (GgufArray v : x) {
                    array(d, v);
                }
            }
            default -> throw new IllegalArgumentException("unsupported array storage " + a.values().getClass());
        }
    }

    private static long mask(GgufValueType t) {
        return switch (t) {
            case UINT8, INT8 -> 0xFFL;
            case UINT16, INT16 -> 0xFFFFL;
            default -> 0xFFFFFFFFL;
        };
    }

    /** Counts bytes so padding can be computed without seeking. */
    private static final class CountingStream extends java.io.FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
