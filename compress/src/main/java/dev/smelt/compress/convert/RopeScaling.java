package dev.smelt.compress.convert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import java.io.IOException;

/**
 * config.json {@code rope_scaling} → GGUF, as convert_hf_to_gguf.py writes it: none; {@code linear}
 * → {@code ARCH.rope.scaling.type = "linear"} and {@code .factor}; {@code llama3} (Llama 3.1/3.2) → a
 * {@code rope_freqs.weight} F32 [head_dim/2] tensor of per-frequency divisors computed from
 * factor, low_freq_factor, high_freq_factor and original_max_position_embeddings.
 * Others (yarn, dynamic, longrope) are refused with the field named. Stateless.
 */
final class RopeScaling {
    private RopeScaling() {
    }

    /** Writes scaling metadata; returns the rope_freqs values for llama3 scaling, else null. */
    static float[] apply(HfConfig c, GgufWriter w) throws IOException {
        JsonNode rs = c.json().get("rope_scaling");
        if (rs == null || rs.isNull()) {
            return null;
        }
        String type = rs.has("rope_type") ? rs.path("rope_type").asText() : rs.path("type").asText();
        if (type.equals("default")) {
            return null;
        }
        double factor = positive(c, rs, "factor", 1);
        switch (type) {
            case "linear" -> {
                w.put(c.arch() + ".rope.scaling.type", GgufValue.string("linear"));
                w.put(c.arch() + ".rope.scaling.factor", GgufValue.float32((float) factor));
                return null;
            }
            case "llama3" -> {
                double low = positive(c, rs, "low_freq_factor", 1);
                double high = positive(c, rs, "high_freq_factor", 4);
                if (!(high > low)) {
                    throw new IOException(c.file() + ": rope_scaling.high_freq_factor " + high + " must be greater than low_freq_factor " + low);
                }
                return llama3(c.headDim(), c.ropeTheta(), factor, low, high, positive(c, rs, "original_max_position_embeddings", 8192));
            }
            case "default" -> {
                return null;
            }
            default -> throw new IOException(c.file() + ": rope_scaling.rope_type " + dev.smelt.model.text.Quote.of(type)
                    + " is not supported (linear, llama3)");
        }
    }

    /** A positive finite number (a factor of 0 would divide every frequency by zero), or {@code def} when absent. */
    private static double positive(HfConfig c, JsonNode rs, String field, double def) throws IOException {
        JsonNode v = rs.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
            throw new IOException(c.file() + ": rope_scaling." + field + " must be a positive number, got " + dev.smelt.model.text.Quote.cut(v));
        }
        return v.asDouble();
    }

    /** Divisor per rotary frequency: 1 for short wavelengths, factor for long ones, smooth between. */
    static float[] llama3(int headDim, double base, double factor, double lowFreqFactor, double highFreqFactor, double oldContext) {
        double lowWavelen = oldContext / lowFreqFactor;
        double highWavelen = oldContext / highFreqFactor;
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            float freq = (float) (1.0 / Math.pow(base, (2.0 * i) / headDim)); // float32, as torch computes it
            double wavelen = 2 * Math.PI / freq;
            double f;
            if (wavelen < highWavelen) {
                f = 1;
            } else if (wavelen > lowWavelen) {
                f = factor;
            } else {
                double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f = 1 / ((1 - smooth) / factor + smooth);
            }
            out[i] = (float) f;
        }
        return out;
    }
}
