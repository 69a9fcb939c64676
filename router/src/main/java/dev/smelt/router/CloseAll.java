package dev.smelt.router;

/** Closes every one of several resources even when some fail; the first failure is rethrown. Stateless. */
final class CloseAll {
    private CloseAll() {
    }

    static void of(Iterable<? extends AutoCloseable> all) throws Exception {
        Exception first = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
