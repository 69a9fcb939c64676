package dev.smelt.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.classify.SoftmaxClassifier;
import dev.smelt.model.classify.TextClassifier;
import dev.smelt.server.http.ApiException;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * {@code POST /v1/classify} (also {@code /classify}, vLLM's path): {@code {"model", "input": string | [string],
 * "top_k"}} → {@code {"id", "object": "list", "created", "model", "data": [{"index", "label", "probability",
 * "raw_label", "top_k": [{"label", "probability"}], "probs", "num_classes"}], "labels", "usage"}}. Label and
 * probability are {@code smelt classify}'s ({@link TextClassifier}: calibrated, {@code "unknown"} below the
 * out-of-scope threshold); {@code raw_label} is the most likely label before the threshold, {@code probs} every
 * class's calibrated probability in {@code labels} order. A multi-label classifier adds {@code "multi_label": true} and
 * {@code "threshold"}, and per text {@code "labels": [{"label", "probability"}]}: every label at or above the threshold (its
 * sigmoid probabilities are independent; {@code label} is the most likely answered one, or "" for none). Bad input answers 4xx in OpenAI's error JSON.
 * Thread-safe (stateless over thread-safe registries).
 */
final class ClassifyHandlers {
    /** Most texts per request: 32 batches of the encoder, a few seconds of CPU for short texts. */
    static final int MAX_INPUTS = 1024;
    /** Labels listed per text when the request has no top_k. */
    static final int DEFAULT_TOP_K = 5;

    static final RequestFields FIELDS = RequestFields.honouring("model", "input", "top_k").noEffect("user");

    private final ClassifierModels classifiers;
    private final Predicate<String> otherModel; // a chat or embedding model's name: answered 400, not 404
    private final Clock clock;

    ClassifyHandlers(ClassifierModels classifiers, Predicate<String> otherModel, Clock clock) {
        this.classifiers = classifiers;
        this.otherModel = otherModel;
        this.clock = clock;
    }

    void classify(Context ctx) {
        ObjectNode req = Json.parseObject(ctx);
        FIELDS.check(req, "");
        String model = Json.string(req, "model", null);
        List<String> inputs = EmbeddingHandlers.inputs(req.get("input"), "input", MAX_INPUTS);
        int topK = Json.integer(req, "top_k", DEFAULT_TOP_K, 1, Integer.MAX_VALUE);
        if (model == null && classifiers.resolve(null) == null) {
            throw ApiException.badRequest("'model' is required; classifiers served: " + classifiers.names(), "model");
        }
        if (model != null && classifiers.resolve(model) == null && otherModel.test(model)) {
            throw ApiException.badRequest("'" + model + "' is not a classifier (it is served for chat, completions or embeddings); "
                    + "classifiers served: " + (classifiers.names().isEmpty() ? "none" : String.join(", ", classifiers.names())),
                    "model");
        }
        try (ClassifierModels.Lease lease = classifiers.acquire(model)) {
            ctx.attribute("smelt.model", lease.name());
            TextClassifier c = lease.classifier();
            List<SoftmaxClassifier.Prediction> pr = c.predict(inputs);
            int tokens = 0;
            for (String s : inputs) {
                tokens += c.countTokens(s);
            }
            ctx.json(response(c, pr, topK, model != null ? model : lease.name(), tokens));
        }
    }

    private ObjectNode response(TextClassifier c, List<SoftmaxClassifier.Prediction> pr, int topK, String model, int tokens) {
        ObjectNode o = Json.MAPPER.createObjectNode()
                .put("id", "classify-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24))
                .put("object", "list").put("created", clock.millis() / 1000).put("model", model);
        ArrayNode data = o.putArray("data");
        for (int i = 0; i < pr.size(); i++) {
            SoftmaxClassifier.Prediction p = pr.get(i);
            ObjectNode d = data.addObject().put("index", i).put("label", p.label()).put("probability", p.probability())
                    .put("raw_label", c.bestLabel(p));
            ArrayNode top = d.putArray("top_k");
            for (TextClassifier.Ranked r : c.top(p, topK)) {
                top.addObject().put("label", r.label()).put("probability", r.probability());
            }
            ArrayNode probs = d.putArray("probs");
            for (double v : p.probabilities()) {
                probs.add(v);
            }
            d.put("num_classes", p.probabilities().length);
            if (c.multiLabel()) {
                ArrayNode answered = d.putArray("labels");
                c.answered(p).forEach(r -> answered.addObject().put("label", r.label()).put("probability", r.probability()));
            }
        }
        ArrayNode labels = o.putArray("labels");
        c.labels().forEach(labels::add);
        if (c.multiLabel()) {
            o.put("multi_label", true).put("threshold", c.head().threshold());
        }
        o.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return o;
    }
}
