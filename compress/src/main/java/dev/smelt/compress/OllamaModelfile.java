package dev.smelt.compress;

import dev.smelt.model.AtomicFiles;
import dev.smelt.model.gguf.GgufFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An Ollama {@code Modelfile} for a GGUF: {@code FROM ./model.gguf} and one {@code PARAMETER stop}
 * per end-of-generation token of the vocabulary (EOS, EOT and the end-of-turn markers of the chat
 * formats smelt knows), so the tuned model stops where it was trained to. No TEMPLATE is written:
 * the Jinja chat template stays in the GGUF ({@code tokenizer.chat_template}), which Ollama matches
 * to its own templates when a Modelfile has none; translating Jinja to Go templates is not attempted.
 * Stateless, thread-safe.
 */
public final class OllamaModelfile {
    /** End-of-turn markers used by ChatML (Qwen, SmolLM), Llama 3, Gemma and Phi-3 templates. */
    static final List<String> END_OF_TURN = List.of("<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<end_of_turn>", "<|end|>", "<|endoftext|>");

    private OllamaModelfile() {
    }

    /** The Modelfile text for {@code gguf} (which must be the file {@code model} refers to). */
    public static String render(GgufFile model, Path gguf) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Ollama Modelfile written by smelt merge.\n");
        sb.append("# Create the model with: ollama create NAME -f ").append("Modelfile").append('\n');
        sb.append("# The chat template is the one inside the GGUF (tokenizer.chat_template); Ollama picks it up from there.\n");
        sb.append("FROM ./").append(gguf.getFileName()).append('\n');
        for (String stop : stops(model)) {
            sb.append("PARAMETER stop \"").append(stop.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        return sb.toString();
    }

    /** The texts of EOS, EOT and known end-of-turn tokens present in the vocabulary, in that order. */
    static Set<String> stops(GgufFile f) {
        Set<String> out = new LinkedHashSet<>();
        String[] tokens = f.getStringArray("tokenizer.ggml.tokens");
        if (tokens == null) {
            return out;
        }
        for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
            long id = f.getLong(key, -1);
            if (id >= 0 && id < tokens.length) {
                out.add(tokens[(int) id]);
            }
        }
        Set<String> vocab = new java.util.HashSet<>(java.util.Arrays.asList(tokens)); // vocabularies may repeat pieces
        for (String m : END_OF_TURN) {
            if (vocab.contains(m)) {
                out.add(m);
            }
        }
        return out;
    }

    /** Writes {@code dir-of-gguf/Modelfile} atomically and returns its path. */
    public static Path writeNextTo(GgufFile model, Path gguf) throws IOException {
        Path dir = gguf.toAbsolutePath().getParent();
        Path out = dir.resolve("Modelfile");
        AtomicFiles.writeString(out, render(model, gguf));
        return out;
    }
}
