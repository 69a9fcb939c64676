package dev.smelt.cli;

import dev.smelt.model.KvCache;
import dev.smelt.model.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.runtime.Generator;
import dev.smelt.runtime.sampling.Sampler;
import dev.smelt.runtime.sampling.SamplerConfig;
import dev.smelt.tensor.ThreadPool;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt run MODEL -p TEXT}: generate a continuation, streamed to stdout. */
@Command(name = "run", description = "Generate text from a prompt (streams to stdout).")
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Model: a GGUF path or hf:OWNER/REPO/FILE.gguf")
    String model;

    @Option(names = "--prompt-ids", split = ",", description = "Prompt as token ids (comma-separated) instead of text.")
    int[] promptIds;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "128", description = "Tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--print-ids", description = "Print only the generated token ids, whitespace-separated.")
    boolean printIds;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("-n/--max-tokens must be >= 0, got " + maxTokens);
        }
        SamplerConfig sc = sampling.toConfig();
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("give a prompt with -p TEXT or --prompt-ids 1,2,3");
        }
        try (DecoderModel m = Models.load(Path.of(model)); ThreadPool pool = modelOptions.newPool()) {
            int[] prompt = promptIds;
            KvCache cache = m.newCache(modelOptions.contextFor(m.config().contextLength()));
            if (prompt.length + maxTokens > cache.capacity()) {
                throw new IllegalArgumentException("prompt (" + prompt.length + " tokens) + max tokens (" + maxTokens
                        + ") exceed the context of " + cache.capacity() + " tokens; raise --ctx");
            }
            PrintStream out = System.out;
            Generator g = new Generator(m, pool);
            int eos = m.file().getInt("tokenizer.ggml.eos_token_id", -1);
            Generator.Result r = g.generate(prompt, cache, new Sampler(sc), maxTokens, t -> t == eos, (tok, logits) -> {
                if (printIds) {
                    out.print(tok);
                    out.print(' ');
                    out.flush();
                }
                return true;
            });
            if (printIds) {
                out.println();
            }
            if (!printIds) {
                out.println(Arrays.toString(r.tokens()));
            }
        }
        return 0;
    }
}
