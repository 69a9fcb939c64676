package dev.smelt.distill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Self-Instruct (Wang et al. 2023) data generation from seed tasks: each round shows the teacher 8
 * instructions (6 seeds + 2 already generated, at random) as a numbered list ending in "9." and takes
 * the new instructions it continues with; an instruction is kept when its ROUGE-L F-measure with every
 * instruction in the pool is below 0.7, it has 3 to 150 words, and it asks for nothing a text model
 * cannot do (images, files, ...), as the paper filters. Then the teacher answers every kept instruction.
 * Not thread-safe (one run at a time; the client is).
 */
public final class SelfInstruct {
    static final double ROUGE_L_MAX = 0.7;
    static final int MIN_WORDS = 3;
    static final int MAX_WORDS = 150;
    static final int SEEDS_PER_PROMPT = 6;
    static final int GENERATED_PER_PROMPT = 2;
    /** Rounds without a single new instruction before giving up (the teacher has run dry). */
    static final int MAX_BARREN_ROUNDS = 5;
    private static final Set<String> UNSUPPORTED = Set.of("image", "images", "graph", "graphs", "picture", "pictures", "file", "files",
            "map", "maps", "draw", "plot", "video", "audio", "music", "flowchart", "diagram");
    private static final Pattern NUMBERED = Pattern.compile("\\n\\s*\\d+\\s*[.)]\\s*");

    /** A generated instruction and what became of it. */
    public record Candidate(String instruction, String reason, String answer) {
    }

    /** Outcome: every candidate (kept ones have reason null and an answer). */
    public record Result(List<Candidate> candidates, CostMeter.Snapshot cost) {
        public List<Candidate> kept() {
            return candidates.stream().filter(c -> c.reason() == null).toList();
        }
    }

    private SelfInstruct() {
    }

    /** Seed instructions from a Self-Instruct seed file (JSONL with an "instruction" per line). */
    public static List<String> readSeeds(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        List<String> lines = java.util.Arrays.asList(DataFile.utf8(file).split("\r?\n"));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode n;
            try {
                n = Canonical.JSON.readTree(lines.get(i));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(file + ":" + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (!n.path("instruction").isTextual() || n.get("instruction").asText().isBlank()) {
                throw new IOException(file + ":" + (i + 1) + ": missing field 'instruction'");
            }
            out.add(n.get("instruction").asText().strip());
        }
        if (out.size() < SEEDS_PER_PROMPT) {
            throw new IOException(file + ": needs at least " + SEEDS_PER_PROMPT + " seed instructions, has " + out.size());
        }
        return out;
    }

    public static Result run(List<String> seeds, int target, TeacherClient teacher, long seed, int maxTokens, Consumer<String> progress)
            throws InterruptedException {
        if (target < 1) {
            throw new IllegalArgumentException("number of instructions to generate must be >= 1, got " + target);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> pool = new ArrayList<>(seeds);
        List<String> generated = new ArrayList<>();
        List<Candidate> cands = new ArrayList<>();
        int barren = 0;
        while (generated.size() < target && barren < MAX_BARREN_ROUNDS) {
            String prompt = prompt(seeds, generated, rnd);
            ObjectNode body = teacher.newRequest(List.of(Map.of("role", "user", "content", prompt)), 1024, null);
            body.put("temperature", 0.7);
            TeacherResponse r;
            try {
                r = teacher.complete(body);
            } catch (TeacherException e) {
                progress.accept("self-instruct: a generation call failed: " + e.getMessage());
                barren++;
                continue;
            }
            int before = generated.size();
            for (String inst : parse(r.content())) {
                String why = reject(inst, pool);
                if (why == null && generated.size() < target) {
                    pool.add(inst);
                    generated.add(inst);
                    cands.add(new Candidate(inst, null, null));
                } else {
                    cands.add(new Candidate(inst, why != null ? why : "over_target", null));
                }
            }
            barren = generated.size() > before ? 0 : barren + 1;
            progress.accept("self-instruct: " + generated.size() + "/" + target + " instructions");
        }
        List<ObjectNode> asks = new ArrayList<>();
        generated.forEach(g -> asks.add(teacher.newRequest(List.of(Map.of("role", "user", "content", g)), maxTokens, null)));
        List<TeacherClient.Outcome> outs = teacher.completeAll(asks);
        List<Candidate> done = new ArrayList<>();
        int k = 0;
        for (Candidate c : cands) {
            if (c.reason() != null) {
                done.add(c);
                continue;
            }
            TeacherClient.Outcome o = outs.get(k++);
            if (o.error() != null) {
                done.add(new Candidate(c.instruction(), "teacher_error", null));
            } else if (o.response().content().isBlank()) {
                done.add(new Candidate(c.instruction(), "empty_answer", null));
            } else {
                done.add(new Candidate(c.instruction(), null, o.response().content().strip()));
            }
        }
        return new Result(List.copyOf(done), teacher.meter().snapshot());
    }

    static String prompt(List<String> seeds, List<String> generated, SplittableRandom rnd) {
        List<String> shown = new ArrayList<>();
        List<String> s = new ArrayList<>(seeds);
        for (int i = 0; i < SEEDS_PER_PROMPT; i++) {
            shown.add(s.remove(rnd.nextInt(s.size())));
        }
        List<String> g = new ArrayList<>(generated);
        for (int i = 0; i < GENERATED_PER_PROMPT && !g.isEmpty(); i++) {
            shown.add(g.remove(rnd.nextInt(g.size())));
        }
        StringBuilder sb = new StringBuilder("Come up with a series of tasks:\n\n");
        for (int i = 0; i < shown.size(); i++) {
            sb.append(i + 1).append(". ").append(shown.get(i).replace('\n', ' ')).append('\n');
        }
        return sb.append(shown.size() + 1).append('.').toString();
    }

    /** The instructions in a numbered-list continuation (the first one continues the prompt's last number). */
    static List<String> parse(String text) {
        List<String> out = new ArrayList<>();
        for (String part : NUMBERED.split("\n" + text.strip())) {
            String p = part.strip();
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    static String reject(String inst, List<String> pool) {
        List<String> words = words(inst);
        if (words.size() < MIN_WORDS) {
            return "too_short";
        }
        if (words.size() > MAX_WORDS) {
            return "too_long";
        }
        for (String w : words) {
            if (UNSUPPORTED.contains(w)) {
                return "unsupported_modality";
            }
        }
        if (!Character.isLetter(inst.codePointAt(0))) {
            return "malformed";
        }
        for (String p : pool) {
            if (rougeL(inst, p) >= ROUGE_L_MAX) {
                return "similar_instruction";
            }
        }
        return null;
    }

    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    /** ROUGE-L F-measure (β = 1) over lower-cased word tokens: LCS / length for precision and recall. */
    public static double rougeL(String candidate, String reference) {
        List<String> a = words(candidate);
        List<String> b = words(reference);
        if (a.isEmpty() || b.isEmpty()) {
            return 0;
        }
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = x.equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        int lcs = prev[b.size()];
        if (lcs == 0) {
            return 0;
        }
        double p = (double) lcs / a.size();
        double r = (double) lcs / b.size();
        return 2 * p * r / (p + r);
    }

    /** Writes train.jsonl (messages), instructions.jsonl (every candidate and its fate) and report.json. */
    public static ObjectNode write(Path dir, Result r, Path seeds, String teacherUrl, String model) throws IOException {
        Files.createDirectories(dir);
        StringBuilder train = new StringBuilder();
        StringBuilder all = new StringBuilder();
        java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
        for (Candidate c : r.candidates()) {
            ObjectNode o = Canonical.JSON.createObjectNode().put("instruction", c.instruction());
            if (c.reason() == null) {
                ObjectNode t = Canonical.JSON.createObjectNode();
                var m = t.putArray("messages");
                m.addObject().put("role", "user").put("content", c.instruction());
                m.addObject().put("role", "assistant").put("content", c.answer());
                train.append(t).append('\n');
                o.put("kept", true);
            } else {
                o.put("kept", false).put("reason", c.reason());
                reasons.merge(c.reason(), 1, Integer::sum);
            }
            all.append(o).append('\n');
        }
        DistillOutput.atomicWrite(dir.resolve("train.jsonl"), train.toString());
        DistillOutput.atomicWrite(dir.resolve("instructions.jsonl"), all.toString());
        CostMeter.Snapshot c = r.cost();
        ObjectNode rep = Canonical.JSON.createObjectNode().put("mode", "self-instruct").put("seeds", seeds.toString())
                .put("candidates", r.candidates().size()).put("kept", r.kept().size());
        ObjectNode rs = rep.putObject("drops_by_reason");
        reasons.forEach(rs::put);
        rep.putObject("teacher").put("url", teacherUrl).put("model", model).put("calls_paid", c.paidCalls()).put("calls_cached", c.cachedCalls())
                .put("input_tokens_paid", c.paidInputTokens()).put("output_tokens_paid", c.paidOutputTokens()).put("cost_usd", c.costUsd());
        DistillOutput.atomicWrite(dir.resolve("report.json"), Canonical.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rep) + "\n");
        StringBuilder card = new StringBuilder("# Data card: self-instruct\n\nInstructions generated from the seed tasks in `")
                .append(seeds.getFileName()).append("` (SHA-256 ").append(DistillOutput.sha256(seeds)).append(") by `").append(model)
                .append("` at ").append(teacherUrl).append(", Self-Instruct style.\n\n| | count |\n|---|---|\n| candidates | ")
                .append(r.candidates().size()).append(" |\n| kept (answered) | ").append(r.kept().size()).append(" |\n");
        reasons.forEach((k, v) -> card.append("| dropped: ").append(k).append(" | ").append(v).append(" |\n"));
        card.append("\nFilters: ROUGE-L < ").append(ROUGE_L_MAX).append(" against every earlier instruction, ").append(MIN_WORDS).append("..")
                .append(MAX_WORDS).append(" words, no image/file/audio requests. Cost this run: ").append(c.costUsd().stripTrailingZeros().toPlainString())
                .append(" USD (").append(c.paidCalls()).append(" calls, ").append(c.cachedCalls()).append(" from the cache).\n\n")
                .append("## License and use\n\nThe seed tasks' license and the teacher provider's terms of use apply to this data.\n");
        DistillOutput.atomicWrite(dir.resolve("DATA_CARD.md"), card.toString());
        return rep;
    }
}
