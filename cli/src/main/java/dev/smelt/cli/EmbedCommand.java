package dev.smelt.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.smelt.model.encoder.BertEmbedder;
import dev.smelt.model.encoder.Embedder;
import dev.smelt.model.encoder.Embedders;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt embed}: JSONL {"text": …} on stdin → JSONL {"embedding": […]} on stdout, same order. */
@Command(name = "embed", description = "Sentence embeddings: JSONL {\"text\": ...} on stdin, {\"embedding\": [...]} per line on stdout.")
final class EmbedCommand implements Callable<Integer> {
    private static final JsonFactory JSON = new JsonFactory();

    @picocli.CommandLine.Mixin
    EmbedderOptions embedder;

    @picocli.CommandLine.Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        int batch = embedder.batch();
        int n = threads.count();
        String model = embedder.model;
        try (BertEmbedder e = LoadLog.timedEmbedder(System.err, model, () -> Embedders.open(model, n))) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            Writer out = new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
            run(e, new JsonlTexts(in, "stdin"), out, batch);
        }
        return 0;
    }

    /** Embeds every text and writes one line per text; returns the number written. Output is flushed per batch. */
    static int run(Embedder e, JsonlTexts texts, Writer out, int batch) throws IOException {
        int written = 0;
        for (List<String> chunk = texts.next(batch); !chunk.isEmpty(); chunk = texts.next(batch)) {
            float[][] v = e.embed(chunk);
            for (float[] row : v) {
                JsonGenerator g = JSON.createGenerator(out);
                g.writeStartObject();
                g.writeArrayFieldStart("embedding");
                for (float f : row) {
                    g.writeNumber(f);
                }
                g.writeEndArray();
                g.writeEndObject();
                g.flush();
                out.write('\n');
                written++;
            }
            out.flush();
        }
        return written;
    }

}
