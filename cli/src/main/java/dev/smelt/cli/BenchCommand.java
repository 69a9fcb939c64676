package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.KvCache;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.tensor.MemoryBandwidth;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code smelt bench MODEL}: prompt processing and decode speed like llama-bench (pp: one batch of
 * {@code --prompt} random tokens into an empty context; tg: {@code --gen} tokens one at a time from an
 * empty context), mean of {@code --repetitions} runs after a warm-up, plus measured read bandwidth.
 */
@Command(name = "bench", description = "Measure prompt and decode tokens/s (like llama-bench).")
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelArgument model;

    @Mixin
    ThreadsOption threads;

    @Option(names = {"-p", "--prompt"}, defaultValue = "128", description = "Prompt tokens (default ${DEFAULT-VALUE}; 0 skips).")
    int prompt;

    @Option(names = {"-n", "--gen"}, defaultValue = "64", description = "Generated tokens (default ${DEFAULT-VALUE}; 0 skips).")
    int gen;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "3", description = "Runs of each test; the mean and spread are reported (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--no-membw", description = "Skip the memory read bandwidth measurement.")
    boolean noMembw;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @picocli.CommandLine.Mixin
    LoraOptions loraOptions;

    @Override
    public Integer call() throws Exception {
        if (prompt < 0 || gen < 0 || repetitions < 1) {
            throw new IllegalArgumentException("--prompt and --gen must be >= 0 and --repetitions >= 1");
        }
        int nThreads = threads.count();
        try (DecoderModel m = Models.load(model.resolve()); ThreadPool pool = new ThreadPool(nThreads)) {
            loraOptions.applyTo(m);
            long modelBytes = m.file().tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
            long params = m.file().tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
            SplittableRandom rnd = new SplittableRandom(1234);
            int vocab = m.config().vocab();
            double[] pp = new double[repetitions];
            double[] tg = new double[repetitions];
            for (int rep = -1; rep < repetitions; rep++) { // rep -1 is the warm-up
                if (prompt > 0) {
                    int[] toks = rnd.ints(prompt, 0, vocab).toArray();
                    KvCache cache = m.newCache(prompt);
                    long t0 = System.nanoTime();
                    m.forward(pool, toks, prompt, cache, false);
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (rep >= 0) {
                        pp[rep] = prompt / s;
                    }
                }
                if (gen > 0) {
                    KvCache cache = m.newCache(gen);
                    int tok = rnd.nextInt(vocab);
                    long t0 = System.nanoTime();
                    for (int i = 0; i < gen; i++) {
                        m.forward(pool, new int[] {tok}, 1, cache, false);
                        tok = rnd.nextInt(vocab);
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    if (rep >= 0) {
                        tg[rep] = gen / s;
                    }
                }
            }
            boolean membw = !noMembw;
            double bw = membw ? MemoryBandwidth.measure(pool, 1L << 30, 5) : Double.NaN;
            double ppMean = mean(pp);
            double tgMean = mean(tg);
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("model", model.toString());
                o.put("architecture", m.config().architecture());
                o.put("model_bytes", modelBytes);
                o.put("parameters", params);
                o.put("threads", nThreads);
                o.put("prompt_tokens", prompt);
                o.put("gen_tokens", gen);
                o.put("prompt_tokens_per_s", round(ppMean));
                o.put("prompt_tokens_per_s_sd", round(sd(pp)));
                o.put("decode_tokens_per_s", round(tgMean));
                o.put("decode_tokens_per_s_sd", round(sd(tg)));
                if (membw) {
                    o.put("memory_read_gb_per_s", round(bw / 1e9));
                    o.put("decode_bandwidth_fraction", round(tgMean * modelBytes / bw));
                }
                System.out.println(o);
            } else {
                System.out.printf("model %s: %s, %.1f MiB weights, %,d params, %d threads%n", model, m.config().architecture(),
                        modelBytes / 1048576.0, params, nThreads);
                if (prompt > 0) {
                    System.out.printf("pp%-5d %8.2f ± %.2f tokens/s%n", prompt, ppMean, sd(pp));
                }
                if (gen > 0) {
                    System.out.printf("tg%-5d %8.2f ± %.2f tokens/s%n", gen, tgMean, sd(tg));
                }
                if (membw) {
                    System.out.printf("memory read bandwidth %.1f GB/s; decode reaches %.0f%% of it%n", bw / 1e9, 100 * tgMean * modelBytes / bw);
                }
            }
        }
        return 0;
    }

    private static double mean(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s / a.length;
    }

    private static double sd(double[] a) {
        double m = mean(a);
        double s = 0;
        for (double v : a) {
            s += (v - m) * (v - m);
        }
        return a.length > 1 ? Math.sqrt(s / (a.length - 1)) : 0;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
