import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Sentences/s of smelt's encoder beside onnxruntime (langchain4j 1.0.0-beta1) on Banking77 test sentences,
 * batch 32, 2 threads, rounds interleaved so both see the same machine load. Also checks, on texts longer
 * than the golden's, that both give the same vectors (truncation and window averaging).
 *
 * <p>Usage: EncoderBench MODEL CSV SENTENCES ROUNDS [long] (MODEL = all-minilm-l6-v2 | bge-small-en-v1.5); {@code long}
 * measures texts of 40 consecutive sentences instead (~470 word pieces, near bge's 512-token limit, where
 * attention's quadratic cost shows), one text per 8 sentences.
 */
public final class EncoderBench {
    static final int BATCH = 32;
    static final int THREADS = 2;

    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "all-minilm-l6-v2";
        Path csv = Path.of(args.length > 1 ? args[1] : "../shared/data/banking77/test.csv");
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        List<String> sentences = firstColumn(csv, n);
        List<String> texts = sentences;
        if (args.length > 4 && args[4].equals("long")) {
            List<String> joined = new ArrayList<>();
            for (int i = 0; i + 40 <= sentences.size(); i += 8) {
                joined.add(String.join(" ", sentences.subList(i, i + 40)));
            }
            texts = joined;
        }
        ExecutorService exec = Executors.newFixedThreadPool(THREADS);
        EmbeddingModel onnx = model.startsWith("bge") ? new BgeSmallEnV15EmbeddingModel(exec) : new AllMiniLmL6V2EmbeddingModel(exec);
        try (BertEmbedder smelt = Embedders.open(model, THREADS)) {
            agreement(smelt, onnx, sentences);
            // warm-up: JIT for smelt, session/arena for onnxruntime
            runSmelt(smelt, texts.subList(0, Math.min(256, texts.size())));
            runOnnx(onnx, texts.subList(0, Math.min(256, texts.size())));
            double[] s = new double[rounds];
            double[] o = new double[rounds];
            double[] sc = new double[rounds];
            double[] oc = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long c0 = cpuNanos();
                s[r] = texts.size() / runSmelt(smelt, texts);
                long c1 = cpuNanos();
                o[r] = texts.size() / runOnnx(onnx, texts);
                long c2 = cpuNanos();
                sc[r] = (c1 - c0) / 1e6 / texts.size();
                oc[r] = (c2 - c1) / 1e6 / texts.size();
                System.out.printf("round %d: smelt %.1f sentences/s (%.2f CPU-ms/sentence), onnxruntime %.1f sentences/s (%.2f CPU-ms/sentence)%n",
                        r, s[r], sc[r], o[r], oc[r]);
            }
            double ms = median(s), mo = median(o);
            System.out.printf("RESULT model=%s sentences=%d batch=%d threads=%d smelt=%.1f onnxruntime=%.1f ratio=%.2f "
                    + "cpu_ms_per_sentence smelt=%.2f onnxruntime=%.2f%n",
                    model, texts.size(), BATCH, THREADS, ms, mo, ms / mo, median(sc), median(oc));
        } finally {
            exec.shutdown();
        }
    }

    /** CPU time of the whole process (onnxruntime's native threads included). */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static double runSmelt(BertEmbedder e, List<String> texts) {
        long t0 = System.nanoTime();
        for (int i = 0; i < texts.size(); i += BATCH) {
            e.embed(texts.subList(i, Math.min(texts.size(), i + BATCH)));
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    static double runOnnx(EmbeddingModel m, List<String> texts) {
        long t0 = System.nanoTime();
        for (int i = 0; i < texts.size(); i += BATCH) {
            m.embedAll(texts.subList(i, Math.min(texts.size(), i + BATCH)).stream().map(TextSegment::from).toList());
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Cosine between both engines on a few benchmark sentences and on long texts (truncation, windows). */
    static void agreement(BertEmbedder smelt, EmbeddingModel onnx, List<String> texts) {
        List<String> probe = new ArrayList<>(texts.subList(0, 4));
        probe.add(String.join(" ", texts.subList(0, 40)));   // ~500 word pieces
        probe.add(String.join(" ", texts.subList(0, 120)));  // > 1,000 word pieces: truncated by both
        float[][] a = smelt.embed(probe);
        List<Embedding> b = onnx.embedAll(probe.stream().map(TextSegment::from).toList()).content();
        double min = 1;
        for (int i = 0; i < probe.size(); i++) {
            double c = cosine(a[i], b.get(i).vector());
            min = Math.min(min, c);
            System.out.printf("agreement text %d (%d chars): cosine %.7f%n", i, probe.get(i).length(), c);
        }
        System.out.printf("AGREEMENT min cosine %.7f%n", min);
    }

    static double cosine(float[] x, float[] y) {
        double d = 0, p = 0, q = 0;
        for (int i = 0; i < x.length; i++) {
            d += (double) x[i] * y[i];
            p += (double) x[i] * x[i];
            q += (double) y[i] * y[i];
        }
        return d / Math.sqrt(p * q);
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    /** The first column of an RFC 4180 CSV with a header (quoted fields may hold commas and doubled quotes). */
    static List<String> firstColumn(Path csv, int max) throws Exception {
        String all = Files.readString(csv);
        List<String> out = new ArrayList<>();
        int i = all.indexOf('\n') + 1;
        while (i < all.length() && out.size() < max) {
            StringBuilder f = new StringBuilder();
            if (all.charAt(i) == '"') {
                i++;
                while (true) {
                    char c = all.charAt(i++);
                    if (c == '"') {
                        if (i < all.length() && all.charAt(i) == '"') {
                            f.append('"');
                            i++;
                        } else {
                            break;
                        }
                    } else {
                        f.append(c);
                    }
                }
            } else {
                while (all.charAt(i) != ',') {
                    f.append(all.charAt(i++));
                }
            }
            out.add(f.toString());
            int nl = all.indexOf('\n', i);
            i = nl < 0 ? all.length() : nl + 1;
        }
        return out;
    }
}
