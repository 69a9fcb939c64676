package dev.smelt.compress.quant;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reads tensors out of a {@link GgufFile} into heap arrays, for tests. */
final class GgufTensors {
    private GgufTensors() {
    }

    static float[] f32(GgufFile f, GgufTensorInfo t) {
        if (t.type() != GgmlType.F32) {
            throw new IllegalArgumentException(f.path() + ": tensor " + t.name() + " is " + t.type() + ", expected F32");
        }
        return f.tensorData(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    static byte[] bytes(GgufFile f, GgufTensorInfo t) {
        return f.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
    }
}
