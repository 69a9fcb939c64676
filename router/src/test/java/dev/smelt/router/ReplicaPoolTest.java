package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The pool's choices on a virtual clock: balancing, ejection and its growth, health, affinity and its bound. */
class ReplicaPoolTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final List<String> events = new java.util.ArrayList<>();
    private final ReplicaPool pool = new ReplicaPool(List.of("http://a", "http://b", "http://c"), ReplicaPool.Settings.defaults(), now::get,
            events::add);

    private ReplicaPool.Replica r(int i) {
        return pool.replicas().get(i);
    }

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    /** Picks {@code r} by excluding the others (even when it is out: the pool then tries it rather than none). */
    private ReplicaPool.Replica pickExactly(ReplicaPool.Replica r) {
        Set<ReplicaPool.Replica> others = new HashSet<>(pool.replicas());
        others.remove(r);
        ReplicaPool.Replica x = pool.pick(null, others);
        assertThat(x).isEqualTo(r);
        return x;
    }

    private void fail(ReplicaPool.Replica r, int times) {
        for (int i = 0; i < times; i++) {
            pool.done(pickExactly(r), ReplicaPool.Outcome.FAILURE);
        }
    }

    @Test
    void leastOutstandingSpreadsInFlightRequestsAndRefillsTheFreedReplica() {
        Set<ReplicaPool.Replica> first = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            first.add(pool.pick(null, Set.of()));
        }
        assertThat(first).hasSize(3);
        ReplicaPool.Replica fourth = pool.pick(null, Set.of()); // all hold one: any may take a second
        ReplicaPool.Replica freed = pool.replicas().stream().filter(x -> x != fourth).findFirst().orElseThrow();
        pool.done(freed, ReplicaPool.Outcome.SUCCESS);
        assertThat(pool.pick(null, Set.of())).isEqualTo(freed); // the only one with nothing in flight
        assertThat(pool.outstanding(fourth)).isEqualTo(2);
        assertThat(pool.outstanding(r(0)) + pool.outstanding(r(1)) + pool.outstanding(r(2))).isEqualTo(4);
    }

    @Test
    void idleRequestsGoRoundRobin() {
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            ReplicaPool.Replica x = pool.pick(null, Set.of());
            seen.merge(x.id(), 1, Integer::sum);
            pool.done(x, ReplicaPool.Outcome.SUCCESS);
        }
        assertThat(seen).containsOnlyKeys("http://a", "http://b", "http://c").allSatisfy((k, v) -> assertThat(v).isEqualTo(10));
    }

    @Test
    void consecutiveFailuresEjectForABaseTimeThatGrowsWithEachEjection() {
        fail(r(0), 4);
        assertThat(pool.ejected(r(0))).isFalse();
        pool.done(pickExactly(r(0)), ReplicaPool.Outcome.SUCCESS); // a success resets the streak
        fail(r(0), 4);
        assertThat(pool.ejected(r(0))).isFalse();
        fail(r(0), 1);
        assertThat(pool.ejected(r(0))).isTrue();
        assertThat(events).containsExactly("ejected http://a for 30000 ms after 5 failures in a row (ejection 1)");
        for (int i = 0; i < 20; i++) {
            ReplicaPool.Replica x = pool.pick(null, Set.of());
            assertThat(x).isNotEqualTo(r(0));
            pool.done(x, ReplicaPool.Outcome.SUCCESS);
        }
        advance(Duration.ofSeconds(29));
        assertThat(pool.available(r(0))).isFalse();
        advance(Duration.ofSeconds(1));
        assertThat(pool.available(r(0))).isTrue(); // back after the base time
        fail(r(0), 5);
        assertThat(pool.ejections(r(0))).isEqualTo(2);
        advance(Duration.ofSeconds(59));
        assertThat(pool.available(r(0))).isFalse(); // second ejection: twice the base
        advance(Duration.ofSeconds(1));
        assertThat(pool.available(r(0))).isTrue();
        pool.checked(r(0), true);
        assertThat(pool.ejections(r(0))).isEqualTo(1); // passed checks earn the shorter ejection back
    }

    @Test
    void ejectionIsCappedAtMaxAndAtHalfThePool() {
        fail(r(0), 5);
        fail(r(1), 5);
        assertThat(pool.ejected(r(0))).isTrue();
        assertThat(pool.ejected(r(1))).isFalse(); // 2 of 3 would be over 50%
        for (int k = 2; k <= 20; k++) {
            advance(Duration.ofSeconds(300));
            fail(r(0), 5);
            assertThat(pool.ejections(r(0))).isEqualTo(k);
        }
        advance(Duration.ofSeconds(300)); // 20 x 30 s would be 600 s; the cap is 300 s
        assertThat(pool.available(r(0))).isTrue();
    }

    @Test
    void failedHealthChecksTakeAReplicaOutUntilOnePasses() {
        pool.checked(r(1), false);
        assertThat(pool.available(r(1))).isTrue(); // one failed check is not enough
        pool.checked(r(1), false);
        assertThat(pool.available(r(1))).isFalse();
        for (int i = 0; i < 10; i++) {
            ReplicaPool.Replica x = pool.pick(null, Set.of());
            assertThat(x).isNotEqualTo(r(1));
            pool.done(x, ReplicaPool.Outcome.SUCCESS);
        }
        pool.checked(r(1), true);
        assertThat(pool.available(r(1))).isTrue();
        assertThat(events).containsExactly("http://b failed 2 health checks in a row: out of service until one passes",
                "http://b passed its health check: back in service");
    }

    @Test
    void whenEveryReplicaIsDownTheUntriedOnesAreStillTried() {
        for (int i = 0; i < 3; i++) {
            pool.checked(r(i), false);
            pool.checked(r(i), false);
        }
        ReplicaPool.Replica x = pool.pick(null, Set.of(r(0), r(1)));
        assertThat(x).isEqualTo(r(2));
        assertThat(pool.pick(null, Set.of(r(0), r(1), r(2)))).isNull();
    }

    @Test
    void aPrefixGoesToItsHomeReplicaAndKeysSpreadOverAll() {
        Map<String, Integer> homes = new HashMap<>();
        for (int k = 0; k < 300; k++) {
            String key = "system prompt number " + k;
            ReplicaPool.Replica home = pool.home(key);
            homes.merge(home.id(), 1, Integer::sum);
            for (int rep = 0; rep < 3; rep++) {
                ReplicaPool.Replica x = pool.pick(key, Set.of());
                assertThat(x).as("key %d, repeat %d", k, rep).isEqualTo(home);
                pool.done(x, ReplicaPool.Outcome.SUCCESS);
            }
        }
        assertThat(homes).hasSize(3).allSatisfy((id, n) -> assertThat(n).as(id).isBetween(50, 150));
    }

    @Test
    void aReplicaLeavingMovesOnlyItsOwnKeys() {
        ReplicaPool two = new ReplicaPool(List.of("http://a", "http://b"), ReplicaPool.Settings.defaults(), now::get);
        for (int k = 0; k < 200; k++) {
            String key = "prefix " + k;
            if (!pool.home(key).id().equals("http://c")) {
                assertThat(two.home(key).id()).as(key).isEqualTo(pool.home(key).id());
            }
        }
    }

    @Test
    void aBusyHomeReplicaPassesTheRequestOnWithinTheLoadBound() {
        String key = "a long shared prefix";
        ReplicaPool.Replica home = pool.home(key);
        ReplicaPool.Replica other = null;
        for (ReplicaPool.Replica x : pool.replicas()) {
            if (x != home) {
                other = x;
                pool.pick(null, new HashSet<>(pool.replicas().stream().filter(y -> y != x).toList())); // one in flight on each other replica
            }
        }
        // bound on the home's load after placing: ceil(1.25 * in flight / 3) = 2, 2, 3 for 3, 4, 5 in flight
        for (int i = 0; i < 3; i++) {
            assertThat(pool.pick(key, Set.of())).as("pick %d", i).isEqualTo(home);
        }
        assertThat(pool.pick(key, Set.of())).isNotEqualTo(home); // 6 in flight: bound 3, the home would hold 4
        assertThat(pool.outstanding(home)).isEqualTo(3);
        assertThat(other).isNotNull();
    }

    @Test
    void badSettingsAreRefusedByName() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ReplicaPool.Settings(5, Duration.ofSeconds(30), Duration.ofSeconds(300), 50, 2, 1.0, 8))
                .hasMessageContaining("affinity_load_factor");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ReplicaPool(List.of("http://a", "http://a"), ReplicaPool.Settings.defaults(), now::get))
                .hasMessageContaining("distinct");
    }
}
