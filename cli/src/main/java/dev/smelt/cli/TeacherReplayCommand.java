package dev.smelt.cli;

import dev.smelt.task.DataFile;
import dev.smelt.task.ReplayTeacher;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt teacher-replay}: the replay teacher STAND-IN as a standalone OpenAI-compatible server. */
@Command(name = "teacher-replay", description = "Serve a labelled dataset as a stand-in teacher (looks labels up; not a model) until Ctrl-C.")
final class TeacherReplayCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "Labelled .jsonl or .csv.")
    Path data;

    @Option(names = "--input-field", defaultValue = "text", description = "Field (column) holding the input text (default ${DEFAULT-VALUE}).")
    String inputField;

    @Option(names = "--label-field", defaultValue = "label", description = "Field (column) holding the label it answers (default ${DEFAULT-VALUE}).")
    String labelField;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8090", description = "Port to listen on (0 = any free port; default ${DEFAULT-VALUE}).")
    int port;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        }
        try (ReplayTeacher t = new ReplayTeacher(DataFile.read(data, inputField, labelField, true), host, port)) {
            System.out.println("replay teacher (stand-in: replays the labels of " + data + ", " + t.size() + " inputs) at " + t.url());
            CountDownLatch forever = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
            forever.await();
        }
        return 0;
    }
}
