package dev.smelt.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The protobuf reader on hand-built ModelProto bytes (the wire format written out field by field). */
class OnnxModelTest {
    /** Minimal protobuf writer for the test: keys, varints, length-delimited fields. */
    static final class Pb {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pb varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) (v & 0x7F) | 0x80);
                v >>>= 7;
            }
            out.write((int) v);
            return this;
        }

        Pb key(int field, int wire) {
            return varint((long) field << 3 | wire);
        }

        Pb uint(int field, long v) {
            return key(field, 0).varint(v);
        }

        Pb bytes(int field, byte[] b) {
            key(field, 2).varint(b.length);
            out.writeBytes(b);
            return this;
        }

        Pb string(int field, String s) {
            return bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        Pb msg(int field, Pb m) {
            return bytes(field, m.out.toByteArray());
        }

        byte[] build() {
            return out.toByteArray();
        }
    }

    static byte[] floatsLe(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] longsLe(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static Pb tinyGraph() {
        Pb w = new Pb().uint(1, 2).uint(1, 3).uint(2, OnnxModel.FLOAT).string(8, "W").bytes(9, floatsLe(1, 2, 3, 4, 5, 6));
        // float_data packed (field 4) and dims packed (field 1, LEN)
        Pb b = new Pb().bytes(1, new Pb().varint(3).build()).uint(2, OnnxModel.FLOAT).string(8, "b.bias").bytes(4, floatsLe(7, 8, 9));
        Pb mm = new Pb().string(1, "x").string(1, "W").string(2, "y").string(3, "/MatMul").string(4, "MatMul");
        Pb shape = new Pb().uint(1, 2).uint(2, OnnxModel.INT64).bytes(9, longsLe(12, 32));
        Pb cst = new Pb().string(2, "c").string(3, "/Constant").string(4, "Constant")
                .msg(5, new Pb().string(1, "value").msg(5, shape).uint(20, 4));
        return new Pb().msg(1, mm).msg(1, cst).string(2, "g").msg(5, w).msg(5, b).msg(11, new Pb().string(1, "x"));
    }

    static byte[] model(Pb graph) {
        return new Pb().uint(1, 8).string(2, "pytorch").msg(7, graph).msg(8, new Pb().uint(2, 14)).build();
    }

    static OnnxModel parse(byte[] bytes) {
        return OnnxModel.parse("test.onnx", MemorySegment.ofArray(bytes), null);
    }

    @Test
    void readsInitializersNodesAndConstants() {
        OnnxModel m = parse(model(tinyGraph()));
        assertThat(m.producer()).isEqualTo("pytorch");
        assertThat(m.graphInputs()).containsExactly("x");
        assertThat(m.initializer("W").dims()).containsExactly(2, 3);
        assertThat(m.initializer("W").floats()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(m.initializer("b.bias").floats()).containsExactly(7, 8, 9);
        assertThat(m.nodes()).hasSize(2);
        assertThat(m.nodes().getFirst().opType()).isEqualTo("MatMul");
        assertThat(m.nodes().getFirst().inputs()).containsExactly("x", "W");
        assertThat(m.constants().get("c").longs()).containsExactly(12, 32);
    }

    @Test
    void truncatedFileNamesTheByteOffset() {
        byte[] full = model(tinyGraph());
        byte[] cut = Arrays.copyOf(full, full.length - 20);
        assertThatThrownBy(() -> parse(cut)).isInstanceOf(OnnxFormatException.class)
                .hasMessageContaining("test.onnx: at byte offset").hasMessageContaining("runs past the end");
    }

    @Test
    void rejectsGroupsMissingGraphAndExternalData() {
        byte[] group = new Pb().uint(1, 8).key(9, 3).build();
        assertThatThrownBy(() -> parse(group)).hasMessageContaining("unsupported wire type 3 for field 9");
        assertThatThrownBy(() -> parse(new Pb().uint(1, 8).build())).hasMessageContaining("has no graph (field 7)");
        Pb ext = new Pb().msg(5, new Pb().uint(1, 4).uint(2, OnnxModel.FLOAT).string(8, "big").uint(14, 1));
        assertThatThrownBy(() -> parse(model(ext))).hasMessageContaining("tensor 'big' keeps its data in an external file");
    }

    @Test
    void sizeMismatchNamesTheInitializer() {
        Pb bad = new Pb().msg(5, new Pb().uint(1, 4).uint(2, OnnxModel.FLOAT).string(8, "short").bytes(9, floatsLe(1, 2)));
        OnnxModel m = parse(model(bad));
        assertThatThrownBy(() -> m.initializer("short").floats()).hasMessageContaining("initializer 'short'")
                .hasMessageContaining("8 bytes of data for dims [4] (expected 16)");
        assertThatThrownBy(() -> m.initializer("nope")).hasMessageContaining("no initializer named 'nope'");
    }
}
