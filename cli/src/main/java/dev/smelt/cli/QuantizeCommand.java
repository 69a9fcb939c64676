package dev.smelt.cli;

import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.ModelQuantizer;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.model.gguf.GgufWriter;
import dev.smelt.tensor.GgmlType;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code smelt quantize IN.gguf OUT.gguf --type Q4_K_M}: byte-exact llama-quantize. */
@Command(name = "quantize", description = "Quantize a GGUF model (types and mixes as llama.cpp names them); "
        + "an encoder (all-minilm-l6-v2, bge-small-en-v1.5, .onnx, BERT directory) becomes a llama.cpp bert GGUF (F32, F16, BF16, Q8_0).")
final class QuantizeCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "Input GGUF (F32, F16 or BF16 tensors), a Hugging Face checkpoint directory (llama, qwen2, qwen3), "
            + "or a BERT encoder: built-in name, .onnx file or directory with config.json model_type bert")
    Path input;

    @Parameters(index = "1", description = "Output GGUF")
    Path output;

    @Option(names = "--type", required = true, description = "F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K, IQ4_NL, IQ4_XS, …")
    String type;

    @Option(names = "--imatrix", description = "Importance matrix GGUF (from smelt imatrix or llama-imatrix).")
    Path imatrix;

    @Option(names = {"-t", "--threads"})
    Integer threads;

    @Override
    public Integer call() throws Exception {
        if (EncoderExport.isEncoder(input)) {
            return EncoderExport.run(input, output, type, threads);
        }
        if (!Files.isDirectory(input)) {
            return quantize(ModelRefs.local(input)); // a stored name quantizes its weights
        }
        // A Hugging Face checkpoint: convert to an unquantized GGUF next to the output first.
        Path converted = output.resolveSibling(output.getFileName() + ".hf.tmp.gguf");
        try {
            System.err.println("converting Hugging Face checkpoint " + input + " ...");
            dev.smelt.compress.convert.HfConverter.convert(input, converted);
            return quantize(converted);
        } finally {
            Files.deleteIfExists(converted);
        }
    }

    private int quantize(Path input) throws Exception {
        LlamaFileType ft = LlamaFileType.fromName(type);
        if (input.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("output " + output + " must differ from the input");
        }
        ImportanceMatrix im = imatrix == null ? null : ImportanceMatrix.load(imatrix);
        try (GgufFile in = GgufFile.open(input);
             ThreadPool pool = new ThreadPool(threads != null ? threads : Runtime.getRuntime().availableProcessors())) {
            long total = in.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
            Progress bar = new Progress(System.err, "quantize " + ft, total);
            List<Object[]> outTensors = new ArrayList<>();
            long[] done = {0};
            Map<String, GgmlType> types = ModelQuantizer.quantize(in, ft, im, pool, (t, ty, data) -> {
                outTensors.add(new Object[] {t, ty, data});
                done[0] += t.elementCount();
                bar.update(done[0], t.name());
            });
            GgufWriter w = new GgufWriter().putAll(in.metadata());
            // as gguf_set_val_*: an updated key moves to the end, in llama-quantize's order
            w.remove("general.quantization_version").put("general.quantization_version", GgufValue.uint32(2));
            w.remove("general.file_type").put("general.file_type", GgufValue.uint32(ft.id()));
            if (im != null) {
                describeImatrix(w, im);
            }
            // llama-quantize writes tensors ordered by block index (non-block tensors first), then by name
            outTensors.sort(java.util.Comparator.comparingInt((Object[] o) -> layerOf(((GgufTensorInfo) o[0]).name()))
                    .thenComparing(o -> ((GgufTensorInfo) o[0]).name()));
            for (Object[] o : outTensors) {
                GgufTensorInfo t = (GgufTensorInfo) o[0];
                w.tensor(t.name(), t.dims(), (GgmlType) o[1], (byte[]) o[2]);
            }
            w.write(output);
            long changed = types.entrySet().stream().filter(e -> e.getValue() != in.tensor(e.getKey()).type()).count();
            System.err.printf("wrote %s: %d tensors (%d quantized), %.1f MiB -> %.1f MiB%n", output, types.size(), changed,
                    Files.size(input) / 1048576.0, Files.size(output) / 1048576.0);
        }
        return 0;
    }

    /** The provenance keys llama-quantize records when quantizing with an importance matrix. */
    private void describeImatrix(GgufWriter w, ImportanceMatrix im) throws java.io.IOException {
        w.put("quantize.imatrix.file", GgufValue.string(imatrix.toString()));
        try (GgufFile f = GgufFile.open(imatrix)) {
            String[] datasets = f.getStringArray("imatrix.datasets");
            if (datasets != null && datasets.length > 0) {
                w.put("quantize.imatrix.dataset", GgufValue.string(datasets[0]));
            }
            w.put("quantize.imatrix.entries_count", GgufValue.uint32(im.entries().size()));
            if (f.has("imatrix.chunk_count")) {
                w.put("quantize.imatrix.chunks_count", GgufValue.uint32(f.getLong("imatrix.chunk_count", 0)));
            }
        }
    }

    static int layerOf(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        int dot = name.indexOf('.', 4);
        try {
            return Integer.parseInt(name.substring(4, dot));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
