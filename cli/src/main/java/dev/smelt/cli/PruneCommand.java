package dev.smelt.cli;

import dev.smelt.compress.BlockProjections;
import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.prune.ModelPruner;
import dev.smelt.compress.prune.PruneMethod;
import dev.smelt.compress.prune.Sparsity;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt prune IN.gguf OUT.gguf --method wanda --sparsity 0.5 --imatrix F}. */
@Command(name = "prune", description = "Zero the least important weights of the block projections (magnitude or Wanda; unstructured or N:M).")
final class PruneCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Input GGUF")
    Path input;

    @Parameters(index = "1", description = "Output GGUF")
    Path output;

    @Option(names = "--method", defaultValue = "wanda", description = "magnitude or wanda (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--sparsity", description = "Fraction of each row's weights to zero, in [0, 1).")
    Double sparsity;

    @Option(names = "--pattern", description = "N:M structured sparsity: at most N non-zero in every M consecutive weights (e.g. 2:4).")
    String pattern;

    @Option(names = "--imatrix", description = "Importance matrix GGUF (smelt imatrix / llama-imatrix) for Wanda.")
    Path imatrix;

    @Option(names = "--calibration", description = "Calibration text: collect activation statistics on it first.")
    Path calibration;

    @Option(names = "--tensors", description = "Comma-separated kinds (default all block projections): attn_q,attn_k,attn_v,attn_qkv,attn_o,ffn_gate,ffn_up,ffn_down; token_embd and output only when listed.")
    String tensors;

    @Option(names = "--type", description = "Type of the pruned tensors (default: each tensor's own type), e.g. Q8_0, F16.")
    String type;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions; // -t, and -c: the chunk size for --calibration

    @Override
    public Integer call() throws Exception {
        if ((sparsity == null) == (pattern == null)) {
            throw new IllegalArgumentException("give exactly one of --sparsity R or --pattern N:M");
        }
        if (input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("output " + output + " must differ from the input");
        }
        Sparsity s = sparsity != null ? Sparsity.unstructured(sparsity) : Sparsity.pattern(pattern);
        PruneMethod m = PruneMethod.parse(method);
        BlockProjections select = BlockProjections.parse(tensors, true);
        GgmlType ty = type == null ? null : GgmlType.fromName(type);
        try (ThreadPool pool = modelOptions.newPool()) {
            ImportanceMatrix im = Calibration.load(imatrix, calibration, input, modelOptions.contextOr(ModelOptions.CHUNK_CONTEXT), pool);
            if (m == PruneMethod.MAGNITUDE && im != null) {
                System.err.println("note: magnitude pruning ignores activation statistics (they still guide re-quantization)");
            }
            try (GgufFile in = GgufFile.open(ModelRefs.resolve(input))) {
                ModelPruner.Report[] rep = new ModelPruner.Report[1];
                Progress bar = new Progress(System.err, "prune " + m.label() + " " + s, in.tensors().size());
                int[] n = {0};
                ModelPruner.prune(in, new ModelPruner.Options(m, s, select, ty, im, name -> bar.update(++n[0], name)), pool, rep)
                        .write(output);
                ModelPruner.Report r = rep[0];
                System.err.printf("wrote %s: %d tensors pruned, %d of %d weights zeroed (%.2f%%), %.1f MiB%n", output, r.tensors(),
                        r.zeroed(), r.weights(), 100.0 * r.zeroed() / Math.max(1, r.weights()), Files.size(output) / 1048576.0);
            }
        }
        return 0;
    }
}
