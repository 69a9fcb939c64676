package dev.smelt.compress;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which tensors a weight-editing tool (prune, lowrank) touches: block projections named
 * {@code blk.N.KIND.weight} whose KIND is in the selection. Embeddings, the output matrix, norms and
 * biases are never selected (they are not KIND.weight of a block projection). Immutable, thread-safe.
 */
public final class BlockProjections {
    /** Every block projection KIND as GGUF names them (attn_qkv / fused ffn_up: phi3). */
    public static final List<String> ALL = List.of("attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output",
            "ffn_gate", "ffn_up", "ffn_down");
    private static final Pattern NAME = Pattern.compile("blk\\.\\d+\\.([a-z_]+)\\.weight");

    private final Set<String> kinds;

    private BlockProjections(Set<String> kinds) {
        this.kinds = kinds;
    }

    /** All projections. */
    public static BlockProjections all() {
        return new BlockProjections(new LinkedHashSet<>(ALL));
    }

    /**
     * Parses a comma-separated list of kinds; {@code attn_o} is accepted for {@code attn_output}.
     *
     * @throws IllegalArgumentException naming the unknown kind and the accepted ones
     */
    public static BlockProjections parse(String list) {
        if (list == null || list.isBlank()) {
            return all();
        }
        Set<String> out = new LinkedHashSet<>();
        for (String raw : list.split(",")) {
            String k = raw.trim();
            if (k.equals("attn_o")) {
                k = "attn_output";
            }
            if (!ALL.contains(k)) {
                throw new IllegalArgumentException("unknown tensor kind '" + raw.trim() + "' in --tensors; accepted: "
                        + String.join(", ", ALL) + " (attn_o = attn_output)");
            }
            out.add(k);
        }
        return new BlockProjections(out);
    }

    /** True when {@code tensorName} is a selected block projection. */
    public boolean matches(String tensorName) {
        Matcher m = NAME.matcher(tensorName);
        return m.matches() && kinds.contains(m.group(1));
    }

    public Set<String> kinds() {
        return kinds;
    }
}
