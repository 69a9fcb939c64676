package dev.smelt.cli;

import dev.smelt.compress.ImportanceMatrix;
import dev.smelt.compress.LlamaFileType;
import dev.smelt.compress.ModelQuantizer;
import dev.smelt.compress.gptq.CalibratedQuantizer;
import dev.smelt.compress.gptq.Gptq;
import dev.smelt.compress.gptq.HessianCollector;
import dev.smelt.compress.quality.ImatrixCollector;
import dev.smelt.compress.quality.Perplexity;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.arch.Models;
import dev.smelt.model.tokenizer.Tokenizer;
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

/**
 * {@code smelt quantize IN.gguf OUT.gguf --type Q4_K_M [--method rtn|gptq|awq|awq-gptq]}: rtn is byte-exact
 * llama-quantize; gptq/awq use calibration statistics and write the same tensor types.
 */
@Command(name = "quantize", description = "Quantize a GGUF model (types and mixes as llama.cpp names them); "
        + "--method gptq/awq/awq-gptq use calibration text (--calibration) and write the same GGUF types llama.cpp loads; "
        + "an encoder (all-minilm-l6-v2, bge-small-en-v1.5, .onnx, BERT directory) becomes a llama.cpp bert GGUF (F32, F16, BF16, Q8_0).")
final class QuantizeCommand implements Callable<Integer> {
    /** Tokens per calibration chunk when --ctx is not given. */
    static final int CALIBRATION_CONTEXT = 256;

    @Parameters(index = "0", description = "Input GGUF (F32, F16 or BF16 tensors), a Hugging Face checkpoint directory (llama, qwen2, qwen3), "
            + "or a BERT encoder: built-in name, .onnx file or directory with config.json model_type bert")
    Path input;

    @Parameters(index = "1", description = "Output GGUF")
    Path output;

    @Option(names = "--type", required = true, description = "F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K_M, Q4_K_M, Q5_K_M, Q6_K, IQ4_NL, IQ4_XS, …")
    String type;

    @Option(names = "--imatrix", description = "Importance matrix GGUF (from smelt imatrix or llama-imatrix).")
    Path imatrix;

    @picocli.CommandLine.Mixin
    ModelOptions modelOptions; // -t, and -c: the calibration chunk size in tokens

    @Option(names = "--method", defaultValue = "rtn", description = "rtn (default: llama-quantize's rounding, byte-exact), "
            + "gptq (error feedback through the inverse Hessian of the calibration inputs), awq (activation-aware channel "
            + "scales folded into the norms), awq-gptq (both).")
    String method;

    @Option(names = "--calibration", description = "Calibration text (UTF-8) run through the model to collect XᵀX per projection.")
    Path calibration;

    @Option(names = "--chunks", defaultValue = "-1", description = "Use at most this many calibration chunks (-1 = all; default ${DEFAULT-VALUE}).")
    int chunks;

    @Option(names = "--act-order", description = "GPTQ: visit columns by decreasing activation energy.")
    boolean actOrder;

    @Option(names = "--damp", defaultValue = "0.01", description = "GPTQ damping, a fraction of mean diag(H) (default ${DEFAULT-VALUE}).")
    double damp;

    @Option(names = "--hessian-mib", defaultValue = "2048", description = "Memory for full XᵀX matrices; streams past it keep "
            + "only the diagonal (default ${DEFAULT-VALUE} MiB).")
    long hessianMib;

    @Override
    public Integer call() throws Exception {
        if (EncoderExport.isEncoder(input)) {
            return EncoderExport.run(input, output, type, modelOptions.threadCount());
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
        CalibratedQuantizer.Method m = CalibratedQuantizer.Method.parse(method);
        if (imatrix != null && calibration != null) {
            throw new IllegalArgumentException("give either --imatrix or --calibration, not both");
        }
        if (m != CalibratedQuantizer.Method.RTN) {
            if (imatrix == null && calibration == null) {
                throw new IllegalArgumentException("--method " + method + " needs --calibration TEXT (or --imatrix F, diagonal only)");
            }
            return quantizeCalibrated(input, ft, m);
        }
        if (calibration != null) {
            try (ThreadPool pool = modelOptions.newPool()) {
                HessianCollector c = collect(input, pool, 0);
                return write(input, ft, c.importance(), (src, sink) -> ModelQuantizer.quantize(src, ft, c.importance(), pool, sink));
            }
        }
        ImportanceMatrix im = imatrix == null ? null : ImportanceMatrix.load(imatrix);
        try (ThreadPool pool = modelOptions.newPool()) {
            return write(input, ft, im, (src, sink) -> ModelQuantizer.quantize(src, ft, im, pool, sink));
        }
    }

    /** GPTQ/AWQ: statistics from the calibration text (or the imatrix's diagonal), then the calibrated quantizer. */
    private int quantizeCalibrated(Path input, LlamaFileType ft, CalibratedQuantizer.Method m) throws Exception {
        if (damp <= 0 || !Double.isFinite(damp)) {
            throw new IllegalArgumentException("--damp " + damp + " must be positive");
        }
        if (hessianMib < 0) {
            throw new IllegalArgumentException("--hessian-mib " + hessianMib + " must not be negative");
        }
        long start = System.nanoTime();
        try (ThreadPool pool = modelOptions.newPool()) {
            HessianCollector stats = calibration != null ? collect(input, pool, hessianMib << 20)
                    : HessianCollector.fromImportance(ImportanceMatrix.load(imatrix));
            Gptq.Options opt = new Gptq.Options(damp, actOrder);
            CalibratedQuantizer.Result[] res = new CalibratedQuantizer.Result[1];
            int rc = write(input, ft, calibration != null ? null : ImportanceMatrix.load(imatrix), (src, sink) -> {
                res[0] = CalibratedQuantizer.quantize(src, ft, m, stats, opt, pool, sink, line -> { });
                return res[0].types();
            });
            System.err.printf("%s: %d matrices kept gptq, %d kept rtn, %d awq groups folded; XᵀX %.1f MiB "
                            + "(%d streams diagonal-only); %.1f s%n", method, res[0].gptqKept(), res[0].rtnKept(),
                    res[0].awqGroups().size(), stats.hessianBytes() / 1048576.0, stats.diagonalOnly(),
                    (System.nanoTime() - start) / 1e9);
            return rc;
        }
    }

    /** Runs the calibration text through the model, collecting XᵀX (full within {@code budget} bytes). */
    private HessianCollector collect(Path model, ThreadPool pool, long budget) throws Exception {
        int ctx = modelOptions.contextOr(CALIBRATION_CONTEXT);
        if (ctx < 2) {
            throw new IllegalArgumentException("--ctx " + ctx + " must be at least 2");
        }
        try (DecoderModel dm = Models.load(model, Perplexity.workload(ctx))) {
            Tokenizer t = TextModels.tokenizer(dm.file());
            int[] tokens = t.encode(TextModels.readText(calibration), true, false);
            if (chunks > 0 && (long) chunks * ctx < tokens.length) {
                tokens = java.util.Arrays.copyOf(tokens, chunks * ctx);
            }
            if (tokens.length < ctx) {
                throw new IllegalArgumentException(calibration + ": calibration text has " + tokens.length
                        + " tokens, fewer than one chunk of --ctx " + ctx);
            }
            int bos = dm.file().getBool("tokenizer.ggml.add_bos_token", true) ? t.bos() : -1;
            HessianCollector c = new HessianCollector(budget);
            int total = tokens.length / ctx;
            Progress bar = new Progress(System.err, "calibrate", total);
            ImatrixCollector.runChunks(dm, pool, tokens, ctx, bos, true, c, done -> bar.update(done, "chunk " + done + "/" + total));
            return c;
        }
    }

    /** Quantizes one tensor set into the output file. */
    @FunctionalInterface
    private interface Run {
        Map<String, GgmlType> apply(GgufFile src, ModelQuantizer.TensorSink sink);
    }

    private int write(Path input, LlamaFileType ft, ImportanceMatrix im, Run run) throws Exception {
        try (GgufFile in = GgufFile.open(input)) {
            long total = in.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
            Progress bar = new Progress(System.err, "quantize " + ft, total);
            List<Object[]> outTensors = new ArrayList<>();
            long[] done = {0};
            Map<String, GgmlType> types = run.apply(in, (t, ty, data) -> {
                outTensors.add(new Object[] {t, ty, data});
                done[0] += t.elementCount();
                bar.update(done[0], t.name());
            });
            GgufWriter w = new GgufWriter().putAll(in.metadata());
            // as gguf_set_val_*: an updated key moves to the end, in llama-quantize's order
            w.remove("general.quantization_version").put("general.quantization_version", GgufValue.uint32(2));
            w.remove("general.file_type").put("general.file_type", GgufValue.uint32(ft.id()));
            if (im != null && imatrix != null) {
                describeImatrix(w, im);
            }
            if (!"rtn".equalsIgnoreCase(method.trim()) || calibration != null) {
                w.put("quantize.method", GgufValue.string(method.trim().toLowerCase(java.util.Locale.ROOT)));
                if (calibration != null) {
                    w.put("quantize.calibration.file", GgufValue.string(calibration.toString()));
                }
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
