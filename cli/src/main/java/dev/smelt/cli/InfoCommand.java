package dev.smelt.cli;

import dev.smelt.model.gguf.GgufArray;
import dev.smelt.model.gguf.GgufFile;
import dev.smelt.model.gguf.GgufTensorInfo;
import dev.smelt.model.gguf.GgufValue;
import dev.smelt.tensor.GgmlType;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt info MODEL}: metadata, tensors, types, parameter count, memory. */
@Command(name = "info", description = "Show a GGUF model's metadata, tensors, types, parameters and memory.")
final class InfoCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ModelArgument model;

    @Option(names = "--tensors", description = "List every tensor.")
    boolean listTensors;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path file = model.resolve();
        try (GgufFile f = GgufFile.open(file)) {
            out.printf("file:          %s (%s)%n", file, human(Files.size(file)));
            out.printf("gguf version:  %d, alignment %d, %d metadata keys, %d tensors%n",
                    f.version(), f.alignment(), f.metadata().size(), f.tensors().size());
            out.println("metadata:");
            for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
                out.printf("  %-44s %s%n", truncate(e.getKey()), show(e.getValue()));
            }
            long params = 0;
            Map<GgmlType, long[]> byType = new TreeMap<>();
            for (GgufTensorInfo t : f.tensors()) {
                params += t.elementCount();
                long[] acc = byType.computeIfAbsent(t.type(), k -> new long[3]);
                acc[0]++;
                acc[1] += t.elementCount();
                acc[2] += t.byteSize();
                if (listTensors) {
                    out.printf("  tensor %-40s %-7s %s%n", truncate(t.name()), t.type(), java.util.Arrays.toString(t.dims()));
                }
            }
            out.println("tensor types:");
            for (Map.Entry<GgmlType, long[]> e : byType.entrySet()) {
                out.printf("  %-7s %5d tensors %,15d params %10s%n", e.getKey(), e.getValue()[0], e.getValue()[1], human(e.getValue()[2]));
            }
            out.printf("parameters:    %,d (%.3f B)%n", params, params / 1e9);
            java.util.List<dev.smelt.model.gguf.TensorScan.NonFinite> bad = dev.smelt.model.gguf.TensorScan.nonFinite(f);
            if (bad.isEmpty()) {
                out.println("non-finite:    none (every weight is a finite number)");
            } else {
                out.printf("non-finite:    %d tensor(s) hold NaN or Inf: output will be garbage%n", bad.size());
                for (var nf : bad) {
                    out.printf("  %s%n", nf);
                }
            }
            long weightBytes = byType.values().stream().mapToLong(a -> a[2]).sum();
            out.printf("weights:       %s, %.2f bits/weight%n", human(weightBytes), params == 0 ? 0 : weightBytes * 8.0 / params);
            Runtime rt = Runtime.getRuntime();
            out.printf("memory:        weights memory-mapped (not on the heap); JVM heap used %s; process resident %s%n",
                    human(rt.totalMemory() - rt.freeMemory()), residentMemory());
        }
        return 0;
    }

    static String residentMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return human(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (Exception e) {
            // not Linux: fall through
        }
        return "n/a";
    }

    private static String show(GgufValue v) {
        if (v.value() instanceof GgufArray a) {
            String first = switch (a.values()) {
                case String[] s when s.length > 0 -> " first: \"" + truncate(s[0]) + "\"";
                default -> "";
            };
            return "[" + a.elementType() + " × " + a.length() + "]" + first;
        }
        if (v.value() instanceof String s) {
            return "\"" + truncate(s) + "\"";
        }
        return String.valueOf(v.value());
    }

    private static String truncate(String s) {
        String one = s.replace("\n", "\\n");
        return one.length() > 60 ? one.substring(0, 57) + "..." : one;
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.2f %s", v, units[u]);
    }
}
