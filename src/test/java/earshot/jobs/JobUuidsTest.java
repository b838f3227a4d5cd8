package earshot.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class JobUuidsTest {
  @Test
  void theyAreVersion7WithTheTimeInFrontAndSortByIt() {
    long t = 1_795_000_000_000L; // 2026-11-19
    UUID u = JobUuids.at(t);
    assertEquals(7, u.version());
    assertEquals(2, u.variant()); // RFC 9562
    assertEquals(t, u.getMostSignificantBits() >>> 16);
    // Later milliseconds sort later, as text too (what the unique index orders).
    assertTrue(JobUuids.at(t).toString().compareTo(JobUuids.at(t + 1).toString()) < 0);
    assertTrue(JobUuids.at(t + 1).compareTo(JobUuids.at(t + 1_000_000)) < 0);
  }

  @Test
  void aBurstInOneMillisecondStaysUnique() {
    Set<UUID> seen = new HashSet<>();
    for (int i = 0; i < 100_000; i++) {
      assertTrue(seen.add(JobUuids.at(1_795_000_000_000L)));
    }
    assertEquals(36, JobUuids.next().toString().length());
  }
}
