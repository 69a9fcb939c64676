package dev.smelt.router;

import com.fasterxml.jackson.databind.JsonNode;
import dev.smelt.eval.Target;
import java.nio.file.Path;

/** Builds a target of one {@code type:} from its router-file entry; relative paths resolve against {@code baseDir}. */
@FunctionalInterface
public interface TargetFactory {
    Target create(String name, JsonNode spec, Path baseDir) throws Exception;
}
