package dev.smelt.router;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.task.Prompts;
import dev.smelt.task.SchemaCheck;
import dev.smelt.task.TaskSpec;
import dev.smelt.eval.Scoring;
import dev.smelt.eval.Target;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A router file (YAML or JSON):
 * <pre>
 * task: task.yaml                 # optional: prompts and the answer-validity check of cascades
 * targets:
 *   small: {type: gguf, path: model.gguf}
 *   teacher: {type: openai, url: https://api.openai.com/v1, model: gpt-4o-mini, api_key_env: OPENAI_API_KEY,
 *             price_in: 0.15, price_out: 0.60}
 *   fleet: {type: pool, model: default, replicas: [http://10.0.0.1:8080, http://10.0.0.2:8080]}  # see StandardTargets
 * policy:
 *   type: cascade                 # cascade | learned | rules
 *   weak: small                   # the cheap target
 *   strong: teacher               # the target escalated to
 *   min_confidence: 0.8           # cascade: accept the weak answer at confidence above this
 *   require_valid: true           # cascade: escalate answers that are not a label / schema-valid JSON
 *   confidence: probability       # cascade over a classifier target: probability | distance | combined
 *   model: router-model.json      # learned: logistic regression from `smelt route-train`
 *   threshold: 0.5                # learned: P(weak is wrong) at which to go to the strong target
 *   embedding: hashed-ngrams      # learned: the embedding the model was trained on
 *   rules:                        # rules: first match wins, else weak
 *     - {regex: "(?i)refund", target: teacher}
 *     - {keywords: [lawyer, fraud], min_chars: 10, max_chars: 500, target: teacher}
 * fallbacks: [teacher, small]     # tried in order when a target errs or times out
 * timeout_seconds: 30
 * budget_usd: 10                  # paid targets are skipped once spent; free ones never are
 * budget_share: 0.25              # teacher share held over every window of requests (ShareController), starting
 *                                 # from the policy's threshold; each threshold move is logged
 * budget_window: 1000             # requests the share is held over (default 1000)
 * mode: budget                    # budget (hold the share) | quality (keep the threshold, report the share)
 * </pre>
 * Immutable.
 */
public record RouterConfig(Path file, Map<String, JsonNode> targets, JsonNode policy, List<String> fallbacks, Duration timeout,
                           BigDecimal budgetUsd, Path task, Double budgetShare, int budgetWindow, ShareController.Mode mode) {
    private static final Set<String> FIELDS = Set.of("task", "targets", "policy", "fallbacks", "timeout_seconds", "budget_usd",
            "budget_share", "budget_window", "mode");

    public static RouterConfig load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        boolean json = file.getFileName().toString().endsWith(".json");
        ObjectMapper m = json ? new ObjectMapper() : dev.smelt.task.YamlFiles.MAPPER;
        JsonNode root;
        try {
            root = m.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new IOException(file + (loc != null ? ":" + loc.getLineNr() : "") + ": cannot parse the router file: " + dev.smelt.task.YamlFiles.cut(e.getOriginalMessage()));
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + ": the router file must be a mapping");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new IOException(file + ": unknown field '" + f + "' (known: " + new java.util.TreeSet<>(FIELDS) + ")");
            }
        }
        JsonNode ts = root.path("targets");
        if (!ts.isObject() || ts.isEmpty()) {
            throw new IOException(file + ": 'targets' must map target names to their settings");
        }
        Map<String, JsonNode> targets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = ts.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isObject() || !e.getValue().path("type").isTextual()) {
                throw new IOException(file + ": target '" + e.getKey() + "' needs a 'type'");
            }
            targets.put(e.getKey(), e.getValue());
        }
        JsonNode p = root.path("policy");
        if (!p.isObject()) {
            throw new IOException(file + ": missing 'policy'");
        }
        for (String k : new String[] {"weak", "strong"}) {
            if (!p.path(k).isTextual() || !targets.containsKey(p.get(k).asText())) {
                throw new IOException(file + ": policy." + k + " must name one of the targets " + targets.keySet() + ", got " + p.get(k));
            }
        }
        List<String> fb = new ArrayList<>();
        for (JsonNode f : root.path("fallbacks")) {
            if (!targets.containsKey(f.asText())) {
                throw new IOException(file + ": fallback '" + f.asText() + "' is not a target " + targets.keySet());
            }
            fb.add(f.asText());
        }
        double to = root.path("timeout_seconds").asDouble(0);
        if (to < 0) {
            throw new IOException(file + ": 'timeout_seconds' must be >= 0, got " + to);
        }
        BigDecimal budget = root.hasNonNull("budget_usd") ? root.get("budget_usd").decimalValue() : null;
        if (budget != null && budget.signum() < 0) {
            throw new IOException(file + ": 'budget_usd' must be >= 0, got " + budget);
        }
        Path base = file.toAbsolutePath().getParent();
        Path task = root.hasNonNull("task") ? base.resolve(root.get("task").asText()) : null;
        Double share = null;
        if (root.hasNonNull("budget_share")) {
            share = root.get("budget_share").asDouble(-1);
            if (!root.get("budget_share").isNumber() || !(share >= 0 && share <= 1)) {
                throw new IOException(file + ": 'budget_share' must be a number in [0, 1], got " + root.get("budget_share"));
            }
        }
        int window = root.path("budget_window").asInt(ShareController.DEFAULT_WINDOW);
        if (root.has("budget_window") && (!root.get("budget_window").isInt() || window < 10)) {
            throw new IOException(file + ": 'budget_window' must be a whole number of requests >= 10, got " + root.get("budget_window"));
        }
        ShareController.Mode mode;
        try {
            mode = ShareController.Mode.parse(root.path("mode").asText("budget"), "'mode'");
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        if (p.has("confidence")) {
            String conf = p.get("confidence").asText();
            if (!Set.of("probability", "distance", "combined").contains(conf)) {
                throw new IOException(file + ": policy.confidence must be probability, distance or combined, got " + p.get("confidence"));
            }
            JsonNode weak = targets.get(p.get("weak").asText());
            if (!conf.equals("probability") && !weak.path("type").asText().equals("classifier")) {
                throw new IOException(file + ": policy.confidence '" + conf + "' needs a weak target of type classifier, '"
                        + p.get("weak").asText() + "' is " + weak.path("type").asText());
            }
            if (weak.path("type").asText().equals("classifier")) {
                targets.put(p.get("weak").asText(), ((com.fasterxml.jackson.databind.node.ObjectNode) weak.deepCopy()).put("confidence", conf));
            }
        }
        return new RouterConfig(file, Map.copyOf(targets), p, List.copyOf(fb), to > 0 ? Duration.ofMillis((long) (to * 1000)) : null, budget, task,
                share, window, mode);
    }

    /**
     * Builds the router.
     *
     * @param types      target factories by {@code type:} (see {@link StandardTargets}; the CLI adds more)
     * @param task       the task (validity checks); may be null
     * @param embeddings embedding functions by name, for learned policies
     */
    public Router build(Map<String, TargetFactory> types, TaskSpec task, Map<String, Function<List<String>, float[][]>> embeddings) throws Exception {
        Policy policy = policy(task, embeddings);
        Map<String, Target> built = new LinkedHashMap<>();
        Path base = file.toAbsolutePath().getParent();
        try {
            for (var e : targets.entrySet()) {
                String type = e.getValue().get("type").asText();
                TargetFactory f = types.get(type);
                if (f == null) {
                    throw new IOException(file + ": target '" + e.getKey() + "' has unknown type '" + type + "' (known: " + types.keySet() + ")");
                }
                built.put(e.getKey(), f.create(e.getKey(), e.getValue(), base));
            }
        } catch (Exception ex) {
            for (Target t : built.values()) {
                t.close();
            }
            throw ex;
        }
        if (budgetShare != null) {
            policy = new BudgetedPolicy(policy, controller(budgetShare, policy.threshold(), null, null));
        }
        return new Router(file.getFileName().toString(), built, policy, fallbacks, timeout, new Budget(budgetUsd));
    }

    /**
     * A share controller with this file's window: {@code mode} when given (a command-line option), else the file's.
     * Adjustments are logged to {@code log}, or to standard error when null.
     */
    public ShareController controller(double share, double startThreshold, ShareController.Mode mode,
                                      java.util.function.Consumer<ShareController.Adjustment> log) {
        String who = file.getFileName().toString();
        return new ShareController(share, startThreshold, budgetWindow, mode != null ? mode : this.mode, log != null ? log
                : a -> System.err.printf(java.util.Locale.ROOT, "router %s: teacher-share threshold %.4f -> %.4f after %d requests (last window %.3f, target %.3f)%n",
                who, a.from(), a.to(), a.request(), a.windowShare(), share));
    }

    Policy policy(TaskSpec task, Map<String, Function<List<String>, float[][]>> embeddings) throws IOException {
        String type = policy.path("type").asText("");
        String weak = policy.get("weak").asText();
        String strong = policy.get("strong").asText();
        return switch (type) {
            case "cascade" -> {
                double mc = policy.path("min_confidence").asDouble(0.5);
                if (mc < 0 || mc > 1) {
                    throw new IOException(file + ": policy.min_confidence must be in [0, 1], got " + mc);
                }
                yield new CascadePolicy(weak, strong, mc, task != null && policy.path("require_valid").asBoolean(true) ? validity(task) : null);
            }
            case "learned" -> {
                if (!policy.path("model").isTextual()) {
                    throw new IOException(file + ": policy.model must name the router model file (from smelt route-train)");
                }
                LogisticRegression lr = LogisticRegression.load(file.toAbsolutePath().getParent().resolve(policy.get("model").asText()));
                String emb = policy.path("embedding").asText(lr.features());
                var fn = embeddings.get(emb);
                if (fn == null) {
                    throw new IOException(file + ": unknown embedding '" + emb + "' (known: " + embeddings.keySet() + ")");
                }
                if (!emb.equals(lr.features())) {
                    throw new IOException(file + ": the router model was trained on '" + lr.features() + "' embeddings, the policy uses '" + emb + "'");
                }
                yield new LearnedPolicy(weak, strong, lr, fn, policy.path("threshold").asDouble(0.5));
            }
            case "rules" -> new RulesPolicy(rules(), weak, strong);
            default -> throw new IOException(file + ": policy.type must be cascade, learned or rules, got '" + type + "'");
        };
    }

    private List<RulesPolicy.Rule> rules() throws IOException {
        List<RulesPolicy.Rule> out = new ArrayList<>();
        JsonNode rs = policy.path("rules");
        for (int i = 0; i < rs.size(); i++) {
            JsonNode r = rs.get(i);
            String target = r.path("target").asText(null);
            if (target == null || !targets.containsKey(target)) {
                throw new IOException(file + ": policy.rules[" + i + "].target must name a target " + targets.keySet());
            }
            Pattern re = null;
            if (r.hasNonNull("regex")) {
                try {
                    re = Pattern.compile(r.get("regex").asText());
                } catch (PatternSyntaxException e) {
                    throw new IOException(file + ": policy.rules[" + i + "].regex is invalid: " + e.getDescription());
                }
            }
            List<String> kw = new ArrayList<>();
            r.path("keywords").forEach(k -> kw.add(k.asText()));
            out.add(new RulesPolicy.Rule(re, kw, r.hasNonNull("min_chars") ? r.get("min_chars").asInt() : null,
                    r.hasNonNull("max_chars") ? r.get("max_chars").asInt() : null, target));
        }
        return out;
    }

    /** Whether an answer has the task's form: a label of the set, schema-valid JSON, a number, or any text. */
    public static Predicate<String> validity(TaskSpec task) {
        return switch (task.metric()) {
            case "label" -> a -> Prompts.matchLabel(a, task.labels()).isPresent();
            case "json" -> a -> Prompts.extractJson(a).map(j -> task.outputSchema() == null || SchemaCheck.validate(task.outputSchema(), j).isEmpty())
                    .orElse(false);
            case "numeric" -> a -> Scoring.extractNumber(a).isPresent();
            default -> a -> a != null && !a.isBlank();
        };
    }
}
