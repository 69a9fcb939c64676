package dev.smelt.model.quant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import dev.smelt.testkit.SharedData;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every tensor of llama.cpp's quantized llama fixtures, dequantized by smelt's scalar references, against
 * the same tensor of the F32 original. F16/BF16 (and tensors left F32) must equal the F32 value rounded
 * to the type exactly; block-quantized tensors must show the error their bit width allows.
 */
class DequantizeGoldenTest {
    /**
     * Upper bounds on the RMS relative error ‖deq − x‖ / ‖x‖ per tensor type, for the fixtures' Gaussian
     * random weights. A uniform quantizer with step Δ has RMS error Δ/√12; with b bits over a block's
     * range of ~±2.5σ that is ≈ 1.4σ·2^−b, so the bound roughly halves per extra bit. Each bound is about
     * 1.5× the error llama.cpp's quantizers reach here (printed by the test), far below what a decoding
     * mistake produces (a wrong nibble order or scale gives errors of order 1).
     */
    static final Map<GgmlType, Double> MAX_RMS_REL = new EnumMap<>(Map.ofEntries(
            Map.entry(GgmlType.Q8_0, 0.008),
            Map.entry(GgmlType.Q6_K, 0.025),
            Map.entry(GgmlType.Q5_0, 0.05),
            Map.entry(GgmlType.Q5_1, 0.05),
            Map.entry(GgmlType.Q5_K, 0.05),
            Map.entry(GgmlType.Q4_0, 0.11),
            Map.entry(GgmlType.Q4_1, 0.10),
            Map.entry(GgmlType.Q4_K, 0.10),
            Map.entry(GgmlType.IQ4_NL, 0.10),
            Map.entry(GgmlType.IQ4_XS, 0.10),
            Map.entry(GgmlType.Q3_K, 0.20),
            Map.entry(GgmlType.Q2_K, 0.40)));

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M",
            "Q6_K", "IQ4_NL", "IQ4_XS"})
    void dequantizedTensorsMatchTheF32Original(String fileType) throws IOException {
        try (GgufFile f32 = GgufFile.open(SharedData.model("llama.gguf"));
             GgufFile q = GgufFile.open(SharedData.model("llama-" + fileType + ".gguf"))) {
            assertThat(q.tensors()).hasSameSizeAs(f32.tensors());
            Map<GgmlType, double[]> errByType = new EnumMap<>(GgmlType.class); // [Σ diff², Σ x²]
            for (GgufTensorInfo qt : q.tensors()) {
                GgufTensorInfo ft = f32.tensor(qt.name());
                assertThat(ft).as("tensor %s in llama.gguf", qt.name()).isNotNull();
                assertThat(qt.dims()).as("dims of %s", qt.name()).isEqualTo(ft.dims());
                float[] expected = read(f32, ft);
                float[] actual = read(q, qt);
                GgmlType type = qt.type();
                if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16) {
                    for (int i = 0; i < expected.length; i++) {
                        float want = roundTo(type, expected[i]);
                        if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(actual[i])) {
                            throw new AssertionError(fileType + " " + qt.name() + " (" + type + ") index " + i + ": expected "
                                    + want + " (from " + expected[i] + ") but was " + actual[i]);
                        }
                    }
                } else {
                    double[] acc = errByType.computeIfAbsent(type, t -> new double[2]);
                    double d2 = 0;
                    double x2 = 0;
                    for (int i = 0; i < expected.length; i++) {
                        double d = (double) actual[i] - expected[i];
                        d2 += d * d;
                        x2 += (double) expected[i] * expected[i];
                    }
                    acc[0] += d2;
                    acc[1] += x2;
                    double rel = Math.sqrt(d2 / x2);
                    assertThat(rel).as("%s %s (%s): RMS relative error", fileType, qt.name(), type)
                            .isLessThanOrEqualTo(MAX_RMS_REL.get(type));
                }
            }
            errByType.forEach((t, a) -> System.out.printf("llama-%s: %s RMS relative error %.5f (bound %.3f)%n",
                    fileType, t, Math.sqrt(a[0] / a[1]), MAX_RMS_REL.get(t)));
        }
    }

    /** x rounded to {@code type} the way llama.cpp converts F32: round to nearest, ties to even. */
    static float roundTo(GgmlType type, float x) {
        return switch (type) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(x));
            case BF16 -> {
                int u = Float.floatToRawIntBits(x);
                // ggml_compute_fp32_to_bf16: add 0x7FFF plus the lowest kept bit, then truncate (RNE).
                yield Float.intBitsToFloat(((u + 0x7FFF + ((u >>> 16) & 1)) >>> 16) << 16);
            }
            default -> x;
        };
    }

    static float[] read(GgufFile file, GgufTensorInfo t) {
        WeightFormat f = Formats.reference(t.type());
        MemorySegment data = file.tensorData(t);
        int n = Math.toIntExact(t.elementCount());
        float[] out = new float[n];
        int ne0 = Math.toIntExact(t.ne0());
        long rowBytes = t.type().bytesFor(ne0);
        for (long r = 0; r < t.rows(); r++) {
            f.dequantize(data, r * rowBytes, out, Math.toIntExact(r * ne0), ne0);
        }
        return out;
    }
}
