package dev.smelt.model.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX {@code ModelProto} that an inference engine with its own kernels needs: the graph's
 * initializers (weights) and its nodes (to resolve weights by how they are used). Only what smelt reads is
 * decoded; every other field is skipped by its wire type.
 *
 * <h2>Protocol Buffers wire format (as read here)</h2>
 * A message is a sequence of fields, each a <b>key</b> then a <b>value</b>, in any order, fields may repeat:
 * <pre>
 * key    varint: (field_number &lt;&lt; 3) | wire_type
 * varint 1–10 bytes, little-endian base-128: each byte's low 7 bits are payload, bit 7 (0x80) = "more bytes follow"
 *        (e.g. 0x96 0x01 = 0x16 + (0x01 &lt;&lt; 7) = 150); negative int32/int64 take 10 bytes (two's complement)
 * wire_type 0 VARINT          value = one varint (int32, int64, enum, bool)
 *           1 I64             value = 8 bytes little-endian (fixed64, double)
 *           2 LEN             value = varint length N, then N bytes (string, bytes, sub-message, packed repeated)
 *           5 I32             value = 4 bytes little-endian (fixed32, float)
 *           3/4 (groups)      deprecated, rejected
 * </pre>
 *
 * <h2>ONNX messages and the fields read (onnx.proto, IR version ≥ 3)</h2>
 * <pre>
 * ModelProto   1 ir_version varint · 2 producer_name string · 7 graph GraphProto (LEN)
 * GraphProto   1 node NodeProto (LEN, repeated) · 2 name string · 5 initializer TensorProto (LEN, repeated)
 *              · 11 input ValueInfoProto (LEN, repeated; field 1 = name)
 * NodeProto    1 input string (repeated) · 2 output string (repeated) · 3 name string · 4 op_type string
 *              · 5 attribute AttributeProto (LEN, repeated; read for op_type Constant only)
 * AttributeProto 1 name string · 5 t TensorProto (LEN): a Constant node's "value"
 * TensorProto  1 dims int64 (repeated; packed LEN or one VARINT per element) · 2 data_type int32 enum
 *              · 4 float_data float (repeated; packed LEN of 4-byte little-endian floats, or I32 per element)
 *              · 7 int64_data (packed) · 8 name string · 9 raw_data bytes (little-endian, row-major)
 *              · 14 data_location (1 = EXTERNAL: data in another file, rejected)
 * data_type    1 FLOAT · 2 UINT8 · 3 INT8 · 6 INT32 · 7 INT64 · 10 FLOAT16 · 11 DOUBLE · 16 BFLOAT16
 * </pre>
 * Tensor data lives either in {@code raw_data} or in the typed repeated field ({@code float_data} for FLOAT);
 * both are views into the file, never copied until {@link Initializer#floats()} is called.
 *
 * <p>Thread-safety: immutable after parsing; {@link #close()} releases a file mapping.
 */
public final class OnnxModel implements AutoCloseable {
    /** TensorProto.DataType.FLOAT. */
    public static final int FLOAT = 1;
    /** TensorProto.DataType.INT64. */
    public static final int INT64 = 7;
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One graph node: its operator, name, and the value names it reads and writes. */
    public record Node(String name, String opType, List<String> inputs, List<String> outputs) {
    }

    /** A node as parsed: the node and, for a Constant, its "value" tensor. */
    private record ParsedNode(Node node, Initializer value) {
    }

    /**
     * One initializer. {@code data} is the raw little-endian payload (raw_data or packed typed data);
     * {@code fileOffset} is where it starts in the source, for error messages.
     */
    public record Initializer(String name, int dataType, long[] dims, MemorySegment data, long fileOffset) {
        public long elements() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /** The values as floats; only for FLOAT tensors. */
        public float[] floats() {
            if (dataType != FLOAT) {
                throw new OnnxFormatException("initializer " + dev.smelt.model.text.Quote.of(name) + " has data_type " + dataType + ", expected 1 (FLOAT)");
            }
            long n = elements();
            if (n > Integer.MAX_VALUE || data.byteSize() != 4 * n) {
                throw new OnnxFormatException("initializer " + dev.smelt.model.text.Quote.of(name) + " at byte offset " + fileOffset + ": " + data.byteSize()
                        + " bytes of data for dims " + java.util.Arrays.toString(dims) + " (expected " + 4 * n + ")");
            }
            float[] out = new float[(int) n];
            MemorySegment.copy(data, LE_FLOAT, 0, out, 0, (int) n);
            return out;
        }

        /** The values of an INT64 tensor (shape constants). */
        public long[] longs() {
            if (dataType != INT64) {
                throw new OnnxFormatException("initializer " + dev.smelt.model.text.Quote.of(name) + " has data_type " + dataType + ", expected 7 (INT64)");
            }
            long[] out = new long[(int) (data.byteSize() / 8)];
            MemorySegment.copy(data, LE_LONG, 0, out, 0, out.length);
            return out;
        }
    }

    private final String source;
    private final Arena arena;
    private final String producer;
    private final List<Node> nodes;
    private final List<String> inputs;
    private final Map<String, Initializer> initializers;
    private final Map<String, Initializer> constants;

    private OnnxModel(String source, Arena arena, String producer, List<Node> nodes, List<String> inputs,
                      Map<String, Initializer> initializers, Map<String, Initializer> constants) {
        this.constants = Collections.unmodifiableMap(constants);
        this.source = source;
        this.arena = arena;
        this.producer = producer;
        this.nodes = Collections.unmodifiableList(nodes);
        this.inputs = Collections.unmodifiableList(inputs);
        this.initializers = Collections.unmodifiableMap(initializers);
    }

    /** Memory-maps and parses {@code path}. */
    public static OnnxModel open(Path path) throws IOException {
        if (path == null) {
            throw new IllegalArgumentException("path must not be null");
        }
        Arena arena = Arena.ofShared();
        MemorySegment seg;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
        return parse(path.toString(), seg, arena); // closes the arena itself when parsing fails
    }

    /** Reads a whole stream (e.g. a classpath resource inside a jar) and parses it. */
    public static OnnxModel read(String source, InputStream in) throws IOException {
        if (in == null) {
            throw new IllegalArgumentException("input stream of " + source + " must not be null");
        }
        byte[] bytes = in.readAllBytes();
        return parse(source, MemorySegment.ofArray(bytes), null);
    }

    /** Parses a ModelProto held in {@code seg}; {@code source} names it in errors. */
    public static OnnxModel parse(String source, MemorySegment seg, Arena arena) {
        try {
            ProtoReader r = new ProtoReader(source, seg, 0, seg.byteSize());
            String producer = "";
            ProtoReader graph = null;
            while (r.hasMore()) {
                int key = r.key();
                int field = key >>> 3;
                if (field == 2 && (key & 7) == ProtoReader.LEN) {
                    producer = r.string();
                } else if (field == 7 && (key & 7) == ProtoReader.LEN) {
                    graph = r.message();
                } else {
                    r.skip(key);
                }
            }
            if (graph == null) {
                throw new OnnxFormatException(source + ": not an ONNX model: ModelProto has no graph (field 7)");
            }
            List<Node> nodes = new ArrayList<>();
            List<String> inputs = new ArrayList<>();
            Map<String, Initializer> inits = new LinkedHashMap<>();
            Map<String, Initializer> constants = new LinkedHashMap<>();
            while (graph.hasMore()) {
                int key = graph.key();
                int field = key >>> 3;
                if ((key & 7) != ProtoReader.LEN || field != 1 && field != 5 && field != 11) {
                    graph.skip(key);
                } else if (field == 1) {
                    ParsedNode pn = node(source, graph.message());
                    nodes.add(pn.node());
                    if (pn.value() != null && !pn.node().outputs().isEmpty()) {
                        constants.put(pn.node().outputs().getFirst(), pn.value());
                    }
                } else if (field == 5) {
                    Initializer t = tensor(source, graph.message());
                    inits.put(t.name(), t);
                } else {
                    inputs.add(valueInfoName(graph.message()));
                }
            }
            return new OnnxModel(source, arena, producer, nodes, inputs, inits, constants);
        } catch (RuntimeException e) {
            if (arena != null) {
                arena.close();
            }
            throw e;
        }
    }

    private static ParsedNode node(String source, ProtoReader r) {
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        String name = "";
        String op = "";
        Initializer value = null;
        while (r.hasMore()) {
            int key = r.key();
            int field = key >>> 3;
            if ((key & 7) == ProtoReader.LEN && field == 5) {
                Initializer t = tensorAttribute(source, r.message());
                value = t != null ? t : value;
            } else if ((key & 7) != ProtoReader.LEN || field > 4) {
                r.skip(key);
            } else if (field == 1) {
                in.add(r.string());
            } else if (field == 2) {
                out.add(r.string());
            } else if (field == 3) {
                name = r.string();
            } else {
                op = r.string();
            }
        }
        return new ParsedNode(new Node(name, op, List.copyOf(in), List.copyOf(out)), op.equals("Constant") ? value : null);
    }

    /** The tensor of an attribute named "value" (AttributeProto field 5), else null. */
    private static Initializer tensorAttribute(String source, ProtoReader r) {
        String name = "";
        Initializer t = null;
        while (r.hasMore()) {
            int key = r.key();
            int field = key >>> 3;
            if (field == 1 && (key & 7) == ProtoReader.LEN) {
                name = r.string();
            } else if (field == 5 && (key & 7) == ProtoReader.LEN) {
                t = tensor(source, r.message());
            } else {
                r.skip(key);
            }
        }
        return name.equals("value") ? t : null;
    }

    private static String valueInfoName(ProtoReader r) {
        String name = "";
        while (r.hasMore()) {
            int key = r.key();
            if (key >>> 3 == 1 && (key & 7) == ProtoReader.LEN) {
                name = r.string();
            } else {
                r.skip(key);
            }
        }
        return name;
    }

    private static Initializer tensor(String source, ProtoReader r) {
        long start = r.position();
        List<Long> dims = new ArrayList<>();
        int dataType = 0;
        String name = "";
        MemorySegment raw = null;
        MemorySegment typed = null;
        long dataOffset = start;
        while (r.hasMore()) {
            int key = r.key();
            int field = key >>> 3;
            int wire = key & 7;
            switch (field) {
                case 1 -> {
                    if (wire == ProtoReader.LEN) {
                        ProtoReader packed = r.message();
                        while (packed.hasMore()) {
                            dims.add(packed.varint());
                        }
                    } else {
                        dims.add(r.varint());
                    }
                }
                case 2 -> dataType = (int) r.varint();
                case 4, 7 -> {
                    if (wire != ProtoReader.LEN) {
                        throw new OnnxFormatException(source + ": at byte offset " + r.position() + ": tensor '" + name
                                + "' stores typed data unpacked, which smelt does not read; re-export with raw_data");
                    }
                    dataOffset = r.position();
                    typed = r.bytes();
                }
                case 8 -> name = r.string();
                case 9 -> {
                    dataOffset = r.position();
                    raw = r.bytes();
                }
                case 14 -> {
                    if (r.varint() == 1) {
                        throw new OnnxFormatException(source + ": at byte offset " + start + ": tensor '" + name
                                + "' keeps its data in an external file (data_location EXTERNAL), which smelt does not read");
                    }
                }
                default -> r.skip(key);
            }
        }
        long[] d = dims.stream().mapToLong(Long::longValue).toArray();
        MemorySegment data = raw != null ? raw : typed != null ? typed : MemorySegment.ofArray(new byte[0]);
        return new Initializer(name, dataType, d, data, dataOffset);
    }

    public String source() {
        return source;
    }

    /** ModelProto.producer_name (e.g. "pytorch"). */
    public String producer() {
        return producer;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** Graph input names (initializers excluded when the exporter lists them separately). */
    public List<String> graphInputs() {
        return inputs;
    }

    public Map<String, Initializer> initializers() {
        return initializers;
    }

    /** Values of Constant nodes, by the name of their output. */
    public Map<String, Initializer> constants() {
        return constants;
    }

    /** The initializer called {@code name}, or an error naming the file. */
    public Initializer initializer(String name) {
        Initializer t = initializers.get(name);
        if (t == null) {
            throw new OnnxFormatException(source + ": no initializer named " + dev.smelt.model.text.Quote.of(name) + "");
        }
        return t;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    /** Sequential reader over one message's bytes [pos, end). Not thread-safe. */
    static final class ProtoReader {
        static final int VARINT = 0;
        static final int I64 = 1;
        static final int LEN = 2;
        static final int I32 = 5;
        private final String source;
        private final MemorySegment seg;
        private long pos;
        private final long end;

        ProtoReader(String source, MemorySegment seg, long pos, long end) {
            this.source = source;
            this.seg = seg;
            this.pos = pos;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        long position() {
            return pos;
        }

        int key() {
            long k = varint();
            if (k >>> 3 == 0 || k > Integer.MAX_VALUE) {
                throw error("invalid field key " + k);
            }
            return (int) k;
        }

        long varint() {
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw error("truncated varint");
                }
                byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                result |= (long) (b & 0x7F) << shift;
                if (b >= 0) {
                    return result;
                }
            }
            throw error("varint longer than 10 bytes");
        }

        MemorySegment bytes() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw error("length " + n + " runs past the end of the enclosing message (" + (end - pos) + " bytes left)");
            }
            MemorySegment s = seg.asSlice(pos, n);
            pos += n;
            return s;
        }

        String string() {
            return new String(bytes().toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }

        ProtoReader message() {
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw error("length " + n + " runs past the end of the enclosing message (" + (end - pos) + " bytes left)");
            }
            ProtoReader sub = new ProtoReader(source, seg, pos, pos + n);
            pos += n;
            return sub;
        }

        void skip(int key) {
            switch (key & 7) {
                case VARINT -> varint();
                case I64 -> advance(8);
                case LEN -> bytes();
                case I32 -> advance(4);
                default -> throw error("unsupported wire type " + (key & 7) + " for field " + (key >>> 3));
            }
        }

        private void advance(long n) {
            if (n > end - pos) {
                throw error("fixed-size field runs past the end of the message");
            }
            pos += n;
        }

        private OnnxFormatException error(String what) {
            return new OnnxFormatException(source + ": at byte offset " + pos + ": " + what);
        }
    }
}
