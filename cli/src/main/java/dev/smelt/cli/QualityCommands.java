package dev.smelt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.compress.quality.ImatrixCollector;
import dev.smelt.compress.quality.KlDivergence;
import dev.smelt.compress.quality.Perplexity;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** perplexity, kld and imatrix: judge and calibrate compression on a text, as llama.cpp's tools do. */
final class QualityCommands {
    private QualityCommands() {
    }

    /** Shared flags. */
    static class TextOptions {
        @Option(names = {"-f", "--file"}, required = true, description = "Text file (UTF-8).")
        Path file;

        @picocli.CommandLine.Mixin
        ModelOptions modelOptions; // -t, and -c: the chunk size in tokens

        @Option(names = "--chunks", defaultValue = "-1", description = "Use at most this many chunks (-1 = all; default ${DEFAULT-VALUE}).")
        int chunks;

        ThreadPool pool() {
            return modelOptions.newPool();
        }

        int ctx() {
            return modelOptions.contextOr(ModelOptions.CHUNK_CONTEXT);
        }

        int[] tokens(Tokenizer t) throws java.io.IOException {
            int[] all = t.encode(TextModels.readText(file), true, false);
            if (chunks > 0 && (long) chunks * ctx() < all.length) {
                return java.util.Arrays.copyOf(all, chunks * ctx());
            }
            return all;
        }

        int bos(Tokenizer t, DecoderModel m) {
            return m.file().getBool("tokenizer.ggml.add_bos_token", true) ? t.bos() : -1;
        }
    }

    @Command(name = "perplexity", description = "Perplexity of a model on a text (llama-perplexity's method).")
    static final class PerplexityCmd extends TextOptions implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ModelArgument model;

        @Option(names = "--json", description = "Print one JSON object instead of text.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (DecoderModel m = Models.load(model.resolve(), Perplexity.workload(ctx())); ThreadPool pool = pool()) {
                Tokenizer t = TextModels.tokenizer(m.file());
                Perplexity.Result r = Perplexity.compute(m, pool, tokens(t), ctx(), bos(t, m));
                if (json) {
                    ObjectNode o = new ObjectMapper().createObjectNode().put("model", model.toString()).put("ctx", ctx())
                            .put("chunks", r.chunks()).put("tokens_scored", r.scored()).put("ppl", r.ppl()).put("ppl_error", r.pplError());
                    System.out.println(o);
                } else {
                    System.out.printf("%s: PPL = %.4f +/- %.4f over %d chunks of %d tokens (%d scored)%n", model, r.ppl(), r.pplError(),
                            r.chunks(), ctx(), r.scored());
                }
            }
            return 0;
        }
    }

    @Command(name = "kld", description = "KL divergence and top-1 agreement of a compressed model vs its base.")
    static final class KldCmd extends TextOptions implements Callable<Integer> {
        @Parameters(index = "0", description = "Base GGUF")
        Path base;

        @Parameters(index = "1", description = "Compressed GGUF")
        Path other;

        @Option(names = "--json", description = "Print one JSON object instead of text.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try (DecoderModel a = Models.load(ModelRefs.resolve(base), Perplexity.workload(ctx())); DecoderModel b = Models.load(ModelRefs.resolve(other), Perplexity.workload(ctx())); ThreadPool pool = pool()) {
                Tokenizer t = TextModels.tokenizer(a.file());
                KlDivergence.Result r = KlDivergence.compute(a, b, pool, tokens(t), ctx(), bos(t, a));
                if (json) {
                    ObjectNode o = new ObjectMapper().createObjectNode().put("base", base.toString()).put("other", other.toString())
                            .put("ctx", ctx()).put("chunks", r.chunks()).put("tokens_scored", r.scored())
                            .put("mean_kld", r.meanKld()).put("mean_kld_error", r.kldError()).put("top1_agreement", r.top1Agreement())
                            .put("ppl_base", r.pplBase()).put("ppl_other", r.pplOther()).put("delta_ppl", r.deltaPpl());
                    System.out.println(o);
                } else {
                    System.out.printf("mean KLD %.6f +/- %.6f, same top-1 %.3f%%, PPL base %.4f, other %.4f (delta %+.4f)%n",
                            r.meanKld(), r.kldError(), 100 * r.top1Agreement(), r.pplBase(), r.pplOther(), r.deltaPpl());
                }
            }
            return 0;
        }
    }

    @Command(name = "imatrix", description = "Collect an importance matrix on calibration text (llama-imatrix's method; F32/F16 weights are preferred).")
    static final class ImatrixCmd extends TextOptions implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ModelArgument model;

        @Option(names = {"-o", "--output"}, required = true, description = "Output imatrix GGUF.")
        Path output;

        @Override
        public Integer call() throws Exception {
            try (DecoderModel m = Models.load(model.resolve(), Perplexity.workload(ctx())); ThreadPool pool = pool()) {
                Tokenizer t = TextModels.tokenizer(m.file());
                int[] tokens = tokens(t);
                int total = tokens.length / ctx();
                Progress bar = new Progress(System.err, "imatrix", total);
                ImatrixCollector c = new ImatrixCollector();
                c.collect(m, pool, tokens, ctx(), bos(t, m), done -> bar.update(done, "chunk " + done + "/" + total));
                c.write(output, file.getFileName().toString(), ctx());
                System.err.printf("wrote %s: %d tensors, %d chunks of %d tokens%n", output, c.sums().size(), c.chunks(), ctx());
            }
            return 0;
        }
    }
}
