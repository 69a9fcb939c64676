package dev.smelt.router;

import dev.smelt.task.ReplayTeacher;
import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import dev.smelt.eval.RemoteTarget;
import dev.smelt.eval.Target;

/**
 * The replay teacher STAND-IN as a target: a {@link RemoteTarget} over HTTP to a {@link ReplayTeacher}
 * that this target owns and stops on {@link #close}. Thread-safe (both parts are).
 */
public final class ReplayTeacherTarget implements Target {
    private final String name;
    private final RemoteTarget remote;
    private final ReplayTeacher server;

    /** Takes ownership of {@code server}; {@code remote} must point at its URL. */
    public ReplayTeacherTarget(String name, RemoteTarget remote, ReplayTeacher server) {
        this.name = name;
        this.remote = remote;
        this.server = server;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Answer answer(Query q) throws Exception {
        return remote.answer(q);
    }

    @Override
    public boolean isFree() {
        return remote.isFree();
    }

    @Override
    public boolean isThreadSafe() {
        return true;
    }

    @Override
    public void close() throws Exception {
        try {
            remote.close();
        } finally {
            server.close();
        }
    }
}
