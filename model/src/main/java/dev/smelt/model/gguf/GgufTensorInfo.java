package dev.smelt.model.gguf;

import dev.smelt.tensor.GgmlType;

/**
 * A tensor's directory entry. {@code dims} are in ggml order: dims[0] (ne0) is the contiguous row
 * length, so a [rows, cols] matrix has dims {cols, rows}. {@code fileOffset} is absolute in the file.
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long fileOffset, long byteSize) {

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** ne0: elements per row. */
    public long ne0() {
        return dims.length > 0 ? dims[0] : 1;
    }

    /** Number of rows: product of dims[1..]. */
    public long rows() {
        long n = 1;
        for (int i = 1; i < dims.length; i++) {
            n *= dims[i];
        }
        return n;
    }
}
