package dev.smelt.cli;

import dev.smelt.compress.BlockProjections;
import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.lowrank.ModelFactorizer;
import dev.smelt.compress.lowrank.RankRule;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt lowrank IN.gguf OUT.gguf --rank 64 --tensors ffn_down --imatrix F}. */
@Command(name = "lowrank", description = "Activation-aware SVD of block projections: W ≈ B·A by rank or by energy kept.")
final class LowRankCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Input GGUF")
    Path input;

    @Parameters(index = "1", description = "Output GGUF")
    Path output;

    @Option(names = "--rank", description = "Singular values kept per projection.")
    Integer rank;

    @Option(names = "--energy", description = "Keep the fewest singular values holding this fraction of Σσ² (e.g. 0.9).")
    Double energy;

    @Option(names = "--tensors", description = "Comma-separated kinds (default all): attn_q,attn_k,attn_v,attn_qkv,attn_o,ffn_gate,ffn_up,ffn_down.")
    String tensors;

    @Option(names = "--imatrix", description = "Importance matrix GGUF: scale input columns by √(mean x²) before the SVD (ASVD).")
    Path imatrix;

    @Option(names = "--calibration", description = "Calibration text: collect activation statistics on it first.")
    Path calibration;

    @Option(names = "--dense", description = "Write B·A in the original tensor layout (runs in llama.cpp; not smaller).")
    boolean dense;

    @Option(names = "--type", description = "Type of the factors (default: each tensor's own type; F16 where a row does not fit it).")
    String type;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions; // -t, and -c: the chunk size for --calibration

    @Override
    public Integer call() throws Exception {
        if ((rank == null) == (energy == null)) {
            throw new IllegalArgumentException("give exactly one of --rank R or --energy E");
        }
        if (input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("output " + output + " must differ from the input");
        }
        RankRule rule = rank != null ? RankRule.ofRank(rank) : RankRule.ofEnergy(energy);
        BlockProjections select = BlockProjections.parse(tensors);
        GgmlType ty = type == null ? null : GgmlType.fromName(type);
        try (ThreadPool pool = modelOptions.newPool()) {
            ImportanceMatrix im = Calibration.load(imatrix, calibration, input, modelOptions.contextOr(ModelOptions.CHUNK_CONTEXT), pool);
            try (GgufFile in = GgufFile.open(ModelRefs.resolve(input))) {
                long total = in.tensors().stream().filter(t -> select.matches(t.name())).count();
                Progress bar = new Progress(System.err, "lowrank " + rule, total);
                List<ModelFactorizer.TensorReport> reps = new ArrayList<>();
                ModelFactorizer.factor(in, new ModelFactorizer.Options(rule, select, dense, ty, im,
                        r -> bar.update(reps.size() + 1, r.name() + " r=" + r.rank())), pool, reps).write(output);
                long factored = reps.stream().filter(ModelFactorizer.TensorReport::factored).count();
                double energyMean = reps.stream().mapToDouble(ModelFactorizer.TensorReport::energyKept).average().orElse(1);
                for (ModelFactorizer.TensorReport r : reps) {
                    if (!r.factored()) {
                        System.err.printf("kept %s dense: rank %d factors of [%d, %d] would not be smaller%n", r.name(), r.rank(), r.rows(), r.cols());
                    }
                }
                System.err.printf("wrote %s: %d of %d projections %s, mean energy kept %.4f, %.1f MiB -> %.1f MiB%n", output, factored,
                        reps.size(), dense ? "reconstructed densely" : "factored", energyMean, Files.size(input) / 1048576.0,
                        Files.size(output) / 1048576.0);
            }
        }
        return 0;
    }
}
