package dev.smelt.model.gguf;

import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.quant.Formats;
import dev.smelt.tensor.quant.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Finds tensors holding NaN or ±Inf. A non-finite weight turns every logit it touches into NaN, so a model
 * that loads "fine" would answer garbage; decoding every weight once costs about as much as reading the file,
 * which loading does anyway. Stateless and thread-safe.
 */
public final class TensorScan {
    /** Elements decoded per step: a multiple of every block size (32, 256), small enough for the cache. */
    private static final int CHUNK = 1 << 14;

    /** One tensor with non-finite values: how many, and the first one's element index. */
    public record NonFinite(String tensor, long count, long firstIndex) {
        @Override
        public String toString() {
            return tensor + " (" + count + " non-finite, first at element " + firstIndex + ")";
        }
    }

    private TensorScan() {
    }

    /**
     * Every tensor of a type smelt can decode that holds NaN or ±Inf, in file order. Tensors are scanned in
     * parallel (common fork-join pool): a multi-GB model is read once at memory speed, not one core's decode speed.
     */
    public static List<NonFinite> nonFinite(GgufFile f) {
        return f.tensors().parallelStream()
                .filter(t -> Formats.supports(t.type())) // integer tensors (I32 positions, etc.) cannot be non-finite
                .map(t -> scan(f.segment(), t))
                .filter(java.util.Objects::nonNull)
                .toList();
    }

    private static NonFinite scan(MemorySegment file, GgufTensorInfo t) {
        WeightFormat fmt = Formats.of(t.type());
        GgmlType type = t.type();
        long elements = t.elementCount();
        float[] buf = new float[CHUNK];
        long count = 0;
        long first = -1;
        for (long done = 0; done < elements; done += CHUNK) {
            int n = (int) Math.min(CHUNK, elements - done);
            long byteOff = t.fileOffset() + done / type.blockSize() * type.typeSize();
            fmt.dequantize(file, byteOff, buf, 0, n);
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(buf[i])) {
                    if (first < 0) {
                        first = done + i;
                    }
                    count++;
                }
            }
        }
        return count == 0 ? null : new NonFinite(t.name(), count, first);
    }
}
