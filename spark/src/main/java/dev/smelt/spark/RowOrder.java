package dev.smelt.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Spreads rows over the executors while keeping their order. A small file is read as one partition, which would
 * put all work on one executor; here rows get their index ({@code zipWithIndex}), contiguous index ranges go to
 * partitions in order and each partition is sorted by index within the shuffle, so partition i holds rows
 * [i·n/p, (i+1)·n/p) in input order and writing the partitions in order gives the input's row order.
 */
final class RowOrder {
    private RowOrder() {
    }

    /**
     * {@code df}'s rows in input order over at least {@code parallelism} partitions (unchanged when it has that many).
     * Partitions start at multiples of {@code align} (the model's batch), so each executor's batches hold the same rows as
     * the single-machine command's batches (same padding), and results differ from it only by thread scheduling (< 1e-6).
     */
    static JavaRDD<Row> spread(Dataset<Row> df, int parallelism, int align) {
        JavaRDD<Row> rows = df.javaRDD();
        if (rows.getNumPartitions() >= parallelism) {
            return rows;
        }
        JavaPairRDD<Row, Long> indexed = rows.zipWithIndex();
        long total = indexed.count();
        if (total == 0) {
            return rows;
        }
        long batches = (total + align - 1) / align;
        int parts = (int) Math.max(1, Math.min(parallelism, batches));
        return indexed.mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .repartitionAndSortWithinPartitions(new Contiguous(batches, parts, align))
                .values();
    }

    /** Index i is in batch b = ⌊i/align⌋, which goes to partition ⌊b·p/batches⌋: contiguous, ordered, whole batches. */
    static final class Contiguous extends Partitioner {
        private final long batches;
        private final int parts;
        private final int align;

        Contiguous(long batches, int parts, int align) {
            this.batches = batches;
            this.parts = parts;
            this.align = align;
        }

        @Override
        public int numPartitions() {
            return parts;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.min(parts - 1, (long) key / align * parts / batches);
        }
    }

    /** The next at most {@code n} items of {@code it}. */
    static <T> List<T> next(Iterator<T> it, int n) {
        List<T> out = new ArrayList<>(n);
        while (out.size() < n && it.hasNext()) {
            out.add(it.next());
        }
        return out;
    }
}
