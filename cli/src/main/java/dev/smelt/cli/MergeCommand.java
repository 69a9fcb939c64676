package dev.smelt.cli;

import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.LoraMerger;
import dev.smelt.compress.OllamaModelfile;
import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt merge --model BASE.gguf --lora ADAPTER -o OUT.gguf [--type Q4_K_M]}: bake a LoRA adapter into a GGUF. */
@Command(name = "merge", description = "Merge a LoRA adapter into a GGUF model (optionally re-quantized); writes an Ollama Modelfile beside it.")
final class MergeCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "Base GGUF model.")
    Path model;

    @Option(names = "--lora", required = true, description = "PEFT adapter directory or GGUF LoRA adapter.")
    Path lora;

    @Option(names = "--lora-scale", defaultValue = "1", description = "Multiplier on the adapter's alpha/r (default ${DEFAULT-VALUE}).")
    float scale;

    @Option(names = {"-o", "--output"}, required = true, description = "Output GGUF.")
    Path output;

    @Option(names = "--register", paramLabel = "NAME[:TAG]", description = "Also store the merged model under this name in the model store "
            + "(then smelt serve NAME, Ollama clients and every MODEL argument find it).")
    String register;

    @Option(names = "--type", description = "Re-quantize to this file type (Q8_0, Q4_K_M, F16, …); default: keep every tensor's type.")
    String type;

    @Option(names = "--no-modelfile", description = "Do not write an Ollama Modelfile next to the output.")
    boolean noModelfile;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        LlamaFileType ft = type == null ? null : LlamaFileType.fromName(type);
        dev.smelt.model.store.ModelName name = register == null ? null : dev.smelt.model.store.ModelName.parse(register); // fails before the work
        try (DecoderModel m = Models.load(ModelRefs.resolve(model), dev.smelt.model.arch.Workload.BATCHED);
             ThreadPool pool = threads.newPool()) {
            LoraAdapter a = LoraOptions.load(m, lora, scale);
            LoraMerger.Result r = LoraMerger.merge(m, a, scale, ft, pool, output);
            System.err.printf("wrote %s: %d tensors, %d with the adapter merged (rank %d, scale %.4g × %.4g), %.1f MiB%n", output,
                    r.types().size(), r.mergedTensors(), a.rank(), a.scale(), scale, Files.size(output) / 1048576.0);
            if (!noModelfile) {
                Path mf = OllamaModelfile.writeNextTo(m.file(), output);
                System.err.println("wrote " + mf + " (ollama create NAME -f " + mf + ")");
            }
        }
        if (name != null) {
            StoreCommands.registered(StoreCommands.store().register(name, output, dev.smelt.model.store.ModelStore.Extras.NONE,
                    output.toAbsolutePath().toString()));
        }
        return 0;
    }
}
