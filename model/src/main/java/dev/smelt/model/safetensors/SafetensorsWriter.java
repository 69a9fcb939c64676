package dev.smelt.model.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files (layout in {@link SafetensorsFile}): F32, F16, BF16 and I32 tensors plus
 * string metadata; the header is padded with spaces to a multiple of 8 as Hugging Face's writer does.
 * Written to {@code OUT.tmp} and renamed, so readers never see a half-written file. Not thread-safe.
 */
public final class SafetensorsWriter {
    private record Tensor(String name, String dtype, long[] shape, byte[] data) {
    }

    private final List<Tensor> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds an F32 tensor (shape row-major). */
    public SafetensorsWriter f32(String name, long[] shape, float[] values) {
        check(name, shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        tensors.add(new Tensor(name, "F32", shape.clone(), b.array()));
        return this;
    }

    /** Adds an F16 tensor, rounding each value to nearest-even half. */
    public SafetensorsWriter f16(String name, long[] shape, float[] values) {
        check(name, shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putShort(Float.floatToFloat16(v));
        }
        tensors.add(new Tensor(name, "F16", shape.clone(), b.array()));
        return this;
    }

    public SafetensorsWriter i32(String name, long[] shape, int[] values) {
        check(name, shape, values.length);
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        tensors.add(new Tensor(name, "I32", shape.clone(), b.array()));
        return this;
    }

    private void check(String name, long[] shape, int n) {
        long e = 1;
        for (long d : shape) {
            e *= d;
        }
        if (e != n) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + java.util.Arrays.toString(shape) + " has " + e
                    + " elements but " + n + " values were given");
        }
        for (Tensor t : tensors) {
            if (t.name.equals(name)) {
                throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
            }
        }
    }

    public void write(Path out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode o = header.putObject(t.name);
            o.put("dtype", t.dtype);
            var sh = o.putArray("shape");
            for (long d : t.shape) {
                sh.add(d);
            }
            o.putArray("data_offsets").add(offset).add(offset + t.data.length);
            offset += t.data.length;
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            os.write(h);
            for (int i = h.length; i < padded; i++) {
                os.write(' ');
            }
            for (Tensor t : tensors) {
                os.write(t.data);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
