package dev.smelt.server;

import dev.smelt.model.arch.Models;
import dev.smelt.model.arch.DecoderModel;
import dev.smelt.model.chat.ChatTemplate;
import dev.smelt.model.lora.LoraAdapter;
import dev.smelt.model.lora.LoraApplier;
import dev.smelt.model.lora.LoraBase;
import dev.smelt.model.lora.LoraFiles;
import dev.smelt.model.hub.ModelDownloader;
import dev.smelt.model.store.ModelStore;
import dev.smelt.model.store.StorePull;
import dev.smelt.model.store.StoredModel;
import dev.smelt.model.text.Quote;
import dev.smelt.model.tokenizer.Tokenizer;
import dev.smelt.model.tokenizer.Tokenizers;
import dev.smelt.runtime.engine.BatchEngine;
import dev.smelt.runtime.engine.DraftModelDrafter;
import dev.smelt.runtime.engine.Drafter;
import dev.smelt.runtime.engine.EngineOptions;
import dev.smelt.runtime.engine.PromptLookupDrafter;
import dev.smelt.server.http.ApiException;
import dev.smelt.server.tools.ToolFormat;
import dev.smelt.tensor.ThreadPool;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads GGUF files for the {@link ModelRegistry}: weights, a batching engine with the configured slots,
 * the tokenizer, and the model's chat template (ChatML when the file has none, as llama-server does).
 * With a {@link ModelStore}, any stored name can be requested too ({@link #discover}); a stored model's
 * adapter is applied on load and its template replaces the file's.
 */
public final class GgufModelLoader implements ModelRegistry.Loader {
    private final Map<String, Path> files;
    private final ServerConfig config;
    private final Customizer customizer;
    private final Map<String, Map<String, Path>> adapters; // model → adapter name → PEFT dir or adapter .gguf, in id order
    private final ModelStore store; // null: only the given files
    private final Map<String, StoredModel> stored = new java.util.concurrent.ConcurrentHashMap<>(); // served name → stored model

    /** Changes a freshly loaded model before it is served (e.g. applies a LoRA adapter). */
    @FunctionalInterface
    public interface Customizer {
        void customize(String name, DecoderModel model) throws java.io.IOException;
    }

    public GgufModelLoader(Map<String, Path> files, ServerConfig config) {
        this(files, config, (n, m) -> { });
    }

    public GgufModelLoader(Map<String, Path> files, ServerConfig config, Customizer customizer) {
        this(files, config, customizer, Map.of());
    }

    /**
     * @param adapters per model name, LoRA adapters selectable per request ({@code base+NAME}), attached to
     *                 the one loaded base with {@link LoraApplier#applyMulti} (ids in map order, from 1)
     */
    public GgufModelLoader(Map<String, Path> files, ServerConfig config, Customizer customizer, Map<String, Map<String, Path>> adapters) {
        this(files, config, customizer, adapters, null, Map.of());
    }

    /**
     * @param store   the model store whose names may be requested (null: none)
     * @param stored  stored models served from the start, by served name ({@code smelt serve NAME})
     */
    public GgufModelLoader(Map<String, Path> files, ServerConfig config, Customizer customizer, Map<String, Map<String, Path>> adapters,
                           ModelStore store, Map<String, StoredModel> stored) {
        this.store = store;
        this.stored.putAll(stored);
        for (String m : adapters.keySet()) {
            if (!files.containsKey(m)) {
                if (!stored.containsKey(m)) {
                throw new IllegalArgumentException("adapters given for unknown model '" + m + "'; models: " + files.keySet());
            }
            }
        }
        this.files = Map.copyOf(files);
        this.config = config;
        this.customizer = customizer;
        Map<String, Map<String, Path>> copy = new java.util.LinkedHashMap<>();
        adapters.forEach((k, v) -> copy.put(k, java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(v))));
        this.adapters = copy;
    }

    @Override
    public java.util.List<String> adapters(String name) {
        return java.util.List.copyOf(adapters.getOrDefault(name, Map.of()).keySet());
    }

    /**
     * Reads each adapter against {@code base}'s tensor shapes, so a bad file fails at startup.
     *
     * @throws java.io.IOException naming the adapter and its file
     */
    public static java.util.List<LoraAdapter> readAdapters(Map<String, Path> adapters, LoraBase base) throws java.io.IOException {
        java.util.List<LoraAdapter> out = new java.util.ArrayList<>();
        for (Map.Entry<String, Path> e : adapters.entrySet()) {
            try {
                out.add(LoraFiles.load(e.getValue(), base));
            } catch (java.io.IOException | RuntimeException ex) {
                throw new java.io.IOException("adapter '" + e.getKey() + "' (" + e.getValue() + "): " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    @Override
    public String discover(String requested) {
        if (store == null) {
            return null;
        }
        try {
            StoredModel m = store.find(ModelDownloader.isRemote(requested) ? StorePull.defaultName(requested).toString() : requested);
            if (m == null) {
                return null;
            }
            stored.put(m.name().servedName(), m);
            return m.name().servedName();
        } catch (java.io.IOException | IllegalArgumentException e) {
            return null; // a damaged entry is not servable; /api/tags and smelt list show the rest
        }
    }

    @Override
    public void forget(String name) {
        stored.remove(name);
    }

    @Override
    public StoredModel stored(String name) {
        return stored.get(name);
    }

    @Override
    public ModelStore store() {
        return store;
    }

    @Override
    public ServedModel load(String name) throws Exception {
        StoredModel st = stored.get(name);
        Path p = st != null ? st.model() : files.get(name);
        if (p == null) {
            throw ApiException.notFound("unknown model " + Quote.of(name), "model", "model_not_found");
        }
        DecoderModel m = Models.load(p);
        ThreadPool pool = null;
        DecoderModel draft = null;
        try {
            customizer.customize(name, m);
            if (st != null && st.adapter() != null) { // the Modelfile's ADAPTER, always on
                LoraApplier.apply(m, LoraFiles.load(st.adapter(), LoraBase.of(m.file())), 1f);
            }
            Map<String, Path> mine = adapters.getOrDefault(name, Map.of());
            if (!mine.isEmpty()) {
                LoraApplier.applyMulti(m, readAdapters(mine, LoraBase.of(m.file())), 1f);
            }
            Tokenizer tok = tokenizer(m);
            pool = new ThreadPool(config.threads());
            int ctx = Math.min(config.contextSize(), m.config().contextLength());
            draft = draftModel(m, tok);
            BatchEngine engine = new BatchEngine(m, pool, config.slots(), ctx, config.queueSize(), BatchEngine.DEFAULT_STEP_TOKENS,
                    System::nanoTime, engineOptions(draft, pool, m, ctx));
            String src = st != null && st.template() != null ? st.template() : m.file().getString("tokenizer.chat_template", null);
            String origin = st != null && st.template() != null ? "the TEMPLATE of stored model '" + name + "'" : p + ":tokenizer.chat_template";
            ChatTemplate template = src != null ? ChatTemplate.of(origin, src, piece(tok, tok.bos()), piece(tok, tok.eos())) : ChatTemplate.chatml();
            return new ServedModel(name, m, pool, engine, new TokenizerCodec(tok), template::render, ToolFormat.detect(src),
                    src != null && src.contains("tools")).closing(draft);
        } catch (RuntimeException | java.io.IOException e) {
            if (pool != null) {
                pool.close();
            }
            if (draft != null) {
                draft.close();
            }
            m.close();
            throw e;
        }
    }

    /** The decoding options of an engine: jump-forward, and a drafter when speculation is configured. */
    private EngineOptions engineOptions(DecoderModel draft, ThreadPool pool, DecoderModel m, int ctx) {
        DecodingConfig d = config.decoding();
        Drafter drafter = draft != null ? new DraftModelDrafter(draft, pool, config.slots(), ctx, m.config().vocab(), d.draftPMin())
                : d.lookup() ? new PromptLookupDrafter() : null;
        return new EngineOptions(d.jumpForward(), drafter, d.draftMax(), d.draftMin());
    }

    /**
     * The configured draft model, loaded for model {@code m}, or null: it must have the same tokenizer (every token's
     * text equal), else drafts would be other tokens than their ids say (llama-server checks the same).
     */
    private DecoderModel draftModel(DecoderModel m, Tokenizer tok) throws java.io.IOException {
        Path p = config.decoding().draftModel();
        if (p == null) {
            return null;
        }
        DecoderModel draft = Models.load(p);
        try {
            Tokenizer dt = tokenizer(draft);
            if (dt.vocabSize() != tok.vocabSize() || draft.config().vocab() != m.config().vocab()) {
                throw new IllegalArgumentException("--draft " + p + ": its vocabulary has " + dt.vocabSize() + " tokens, the model's "
                        + tok.vocabSize() + "; a draft model must use the same tokenizer");
            }
            for (int i = 0; i < tok.vocabSize(); i++) {
                if (!java.util.Arrays.equals(dt.tokenBytes(i), tok.tokenBytes(i))) {
                    throw new IllegalArgumentException("--draft " + p + ": token " + i + " differs from the model's ('"
                            + dt.piece(i) + "' vs '" + tok.piece(i) + "'); a draft model must use the same tokenizer");
                }
            }
            return draft;
        } catch (RuntimeException | java.io.IOException e) {
            draft.close();
            throw e;
        }
    }

    @Override
    public Path file(String name) {
        StoredModel st = stored.get(name);
        return st != null ? st.model() : files.get(name);
    }

    @Override
    public Path adapterFile(String name, String adapter) {
        return adapters.getOrDefault(name, Map.of()).get(adapter);
    }

    private static String piece(Tokenizer t, int id) {
        return id >= 0 ? t.piece(id) : "";
    }

    static Tokenizer tokenizer(DecoderModel m) throws java.io.IOException {
        return Tokenizers.fromGguf(m.file());
    }

    /** The name a file is served under: its file name without {@code .gguf}. */
    public static String nameOf(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".gguf") ? n.substring(0, n.length() - 5) : n;
    }
}
