package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Rules: the first matching rule picks the target, else {@code fallbackTarget}. A rule matches when
 * every condition it sets holds: a regex found in the input, any of its keywords (case-insensitive),
 * input length within [minChars, maxChars]. Score = 1 when the chosen target is the strong one.
 * Immutable, thread-safe.
 */
public record RulesPolicy(List<Rule> rules, String weak, String strong) implements Policy {
    /** One rule; null conditions are not checked. */
    public record Rule(Pattern regex, List<String> keywords, Integer minChars, Integer maxChars, String target) {
        boolean matches(String in) {
            if (regex != null && !regex.matcher(in).find()) {
                return false;
            }
            if (keywords != null && !keywords.isEmpty()) {
                String low = in.toLowerCase(Locale.ROOT);
                if (keywords.stream().noneMatch(k -> low.contains(k.toLowerCase(Locale.ROOT)))) {
                    return false;
                }
            }
            return (minChars == null || in.length() >= minChars) && (maxChars == null || in.length() <= maxChars);
        }
    }

    public RulesPolicy {
        rules = List.copyOf(rules);
    }

    @Override
    public String first(Query q) {
        for (Rule r : rules) {
            if (r.matches(q.input())) {
                return r.target();
            }
        }
        return weak;
    }

    @Override
    public double score(Query q, Answer weakAnswer) {
        return first(q).equals(strong) ? 1 : 0;
    }

    @Override
    public String reason(Query q, Answer weakAnswer) {
        return "a rule matched";
    }

    @Override
    public double threshold() {
        return 1;
    }

    @Override
    public Policy withThreshold(double t) {
        return this; // rules have no threshold
    }
}
