package dev.smelt.cli;

import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.synth.ModelShape;
import dev.smelt.compress.synth.RandomModelWriter;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt model random}: random-weight GGUFs of real model shapes, for benchmarks. */
@Command(name = "model", description = "Model utilities.", subcommands = {ModelCommand.Random.class, ModelCommand.RandomLora.class})
final class ModelCommand {

    @Command(name = "random", description = "Write a random-weight GGUF of a real model's shape (for benchmarks).")
    static final class Random implements Callable<Integer> {
        @Option(names = "--shape", required = true, description = "qwen2.5-0.5b, llama3.2-1b or smollm2-135m.")
        String shape;

        @Option(names = "--type", defaultValue = "Q8_0", description = "File type as llama.cpp names it, e.g. F32, F16, Q8_0, Q4_0, Q4_K_M (default ${DEFAULT-VALUE}).")
        String type;

        @Option(names = {"-o", "--output"}, required = true, description = "Output GGUF file.")
        Path output;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the random weights (default ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--tokenizer", paramLabel = "DIR", description = "A Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json) "
                + "whose vocabulary, merges, special tokens and chat template the file gets instead of the synthetic vocabulary "
                + "(padded to the shape's vocabulary), so text prompts tokenize as for a real model.")
        Path tokenizer;

        @picocli.CommandLine.Mixin
        ThreadsOption threads;

        @Override
        public Integer call() throws Exception {
            ModelShape s = ModelShape.named(shape);
            LlamaFileType ft = LlamaFileType.fromName(type);
            var vocab = tokenizer == null ? null : dev.smelt.compress.convert.HfTokenizerMetadata.read(tokenizer, s.vocab(), null);
            try (ThreadPool pool = threads.newPool()) {
                long t0 = System.nanoTime();
                RandomModelWriter.write(s, ft, seed, pool, output, vocab);
                System.err.printf("wrote %s (%s, %s, %.1f MiB) in %.1f s%n", output, s.name(), ft, Files.size(output) / 1048576.0,
                        (System.nanoTime() - t0) / 1e9);
            }
            return 0;
        }
    }

    @Command(name = "random-lora", description = "Write a random LoRA adapter (PEFT files + adapter.gguf) for a model (for benchmarks and format checks).")
    static final class RandomLora implements Callable<Integer> {
        @Option(names = {"-m", "--model"}, required = true, description = "Base GGUF model.")
        Path model;

        @Option(names = {"-r", "--rank"}, defaultValue = "16", description = "LoRA rank (default ${DEFAULT-VALUE}).")
        int rank;

        @Option(names = "--alpha", defaultValue = "32", description = "LoRA alpha (default ${DEFAULT-VALUE}).")
        float alpha;

        @Option(names = "--targets", split = ",", description = "PEFT modules (q_proj,k_proj,…); default: every linear layer.")
        java.util.List<String> targets = new java.util.ArrayList<>();

        @Option(names = "--std", defaultValue = "0.02", description = "Standard deviation of A and B (default ${DEFAULT-VALUE}).")
        float std;

        @Option(names = {"-o", "--output"}, required = true, description = "Output directory.")
        Path output;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the random weights (default ${DEFAULT-VALUE}).")
        long seed;

        @Override
        public Integer call() throws Exception {
            try (dev.smelt.model.arch.DecoderModel m = dev.smelt.model.arch.Models.load(ModelRefs.resolve(model), dev.smelt.model.arch.Workload.BATCHED)) {
                dev.smelt.model.lora.LoraAdapter a = dev.smelt.model.lora.RandomLora.create(m, rank, alpha, targets, seed, std);
                dev.smelt.model.lora.LoraFiles.writeAll(a, dev.smelt.model.lora.LoraBase.of(m.file()), 0f, output);
                System.err.printf("wrote %s: rank %d, alpha %s, %d projections (%s)%n", output, rank, alpha, a.pairs().size(),
                        String.join(",", a.targetModules()));
            }
            return 0;
        }
    }
}
