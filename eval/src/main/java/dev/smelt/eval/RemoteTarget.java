package dev.smelt.eval;

import dev.smelt.client.TeacherClient;
import dev.smelt.client.TeacherResponse;
import java.util.List;

/**
 * An OpenAI-compatible endpoint as a target, through a {@link TeacherClient} (so rate limits, retries,
 * the response cache and cost accounting apply). Asks for the chosen token's logprob so that the
 * answer carries a confidence when the server offers it. Thread-safe; closes the client.
 */
public final class RemoteTarget implements Target {
    private final String name;
    private final TeacherClient client;
    private final boolean askLogprobs;

    public RemoteTarget(String name, TeacherClient client, boolean askLogprobs) {
        this.name = name;
        this.client = client;
        this.askLogprobs = askLogprobs;
    }

    @Override
    public String name() {
        return name;
    }

    public TeacherClient client() {
        return client;
    }

    @Override
    public Answer answer(Query q) throws Exception {
        long t0 = System.nanoTime();
        TeacherResponse r = client.complete(client.newRequest(q.messages(), q.maxTokens(), askLogprobs ? 1 : null));
        double lp = r.sumLogprob();
        return new Answer(r.content(), name, Double.isNaN(lp) ? Double.NaN : Math.exp(lp), r.promptTokens(), r.completionTokens(),
                client.config().prices().cost(r.promptTokens(), r.completionTokens()), System.nanoTime() - t0, r.cached(), List.of());
    }

    /** Streams through {@link TeacherClient#stream}; a stream that breaks after text arrived becomes a {@link MidStreamException}. */
    @Override
    public Answer answer(Query q, java.util.function.Consumer<String> onDelta) throws Exception {
        long t0 = System.nanoTime();
        TeacherResponse r;
        try {
            r = client.stream(client.newRequest(q.messages(), q.maxTokens(), askLogprobs ? 1 : null), onDelta);
        } catch (TeacherClient.StreamBrokenException e) {
            throw new MidStreamException(e.emitted(), e);
        }
        double lp = r.sumLogprob();
        return new Answer(r.content(), name, Double.isNaN(lp) ? Double.NaN : Math.exp(lp), r.promptTokens(), r.completionTokens(),
                client.config().prices().cost(r.promptTokens(), r.completionTokens()), System.nanoTime() - t0, r.cached(), List.of());
    }

    @Override
    public boolean isFree() {
        return client.config().prices().isFree();
    }

    @Override
    public boolean isThreadSafe() {
        return true;
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
