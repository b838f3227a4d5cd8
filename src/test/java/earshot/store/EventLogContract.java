package earshot.store;

import static earshot.testsupport.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.jobs.EventQuery;
import earshot.jobs.RecordedEvent;
import earshot.testsupport.Databases;
import earshot.testsupport.MutableClock;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job event log of every store ({@link EventLog} written by the scheduler's store, read through a
 * {@link JobReader} of its own, as in production): numbers rise and are never handed out again, the three reads, and
 * pruning. Each store has a subclass.
 */
abstract class EventLogContract {
  @TempDir
  Path tempDir;

  Vertx vertx;
  MutableClock clock;
  JobStore store;
  JobReader reader;

  abstract Databases.Kind kind();

  @BeforeEach
  void open() {
    vertx = Vertx.vertx();
    clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    EarshotConfig.Store config = new EarshotConfig.Store(kind().newUrl(tempDir), 4);
    store = await(JobStores.open(vertx, config, clock));
    reader = JobStores.openReader(vertx, config);
  }

  @AfterEach
  void close() {
    await(reader.close());
    await(store.close());
    await(vertx.close());
  }

  long append(long job, String owner, String event, int progress) {
    clock.advance(Duration.ofSeconds(1));
    return await(store.appendEvent(job, owner, event, new JsonObject().put("id", job).put("progress", progress)));
  }

  @Test
  void seqsRiseAndEachJobsEventsReadBackInOrder() {
    long a1 = append(1, "alice", RecordedEvent.STATE, 0);
    long b1 = append(2, "bob", RecordedEvent.STATE, 0);
    long a2 = append(1, "alice", RecordedEvent.PROGRESS, 40);
    long a3 = append(1, "alice", RecordedEvent.END, 100);
    assertTrue(a1 < b1 && b1 < a2 && a2 < a3, List.of(a1, b1, a2, a3).toString());

    List<RecordedEvent> all = await(reader.eventsAfter(new EventQuery(1L, null, 0, 100)));
    assertEquals(List.of(a1, a2, a3), all.stream().map(RecordedEvent::seq).toList());
    RecordedEvent progress = all.get(1);
    assertEquals(1L, progress.jobId());
    assertEquals("alice", progress.ownerUserId());
    assertEquals(RecordedEvent.PROGRESS, progress.event());
    assertEquals(40, progress.job().getInteger("progress"));

    assertEquals(List.of(a3), await(reader.eventsAfter(new EventQuery(1L, null, a2, 100))).stream()
        .map(RecordedEvent::seq).toList());
    assertEquals(List.of(a2), await(reader.eventsAfter(new EventQuery(1L, null, a1, 1))).stream()
        .map(RecordedEvent::seq).toList());
    assertEquals(a3, await(reader.latestEvent(1)).orElseThrow().seq());
    assertTrue(await(reader.latestEvent(3)).isEmpty());
  }

  @Test
  void aBatchIsRecordedInOrderWithRisingSeqs() {
    long before = append(9, "carol", RecordedEvent.STATE, 0);
    List<RecordedEvent> batch = List.of(
        new RecordedEvent(0, 1, "alice", RecordedEvent.STATE, new JsonObject().put("n", 1)),
        new RecordedEvent(0, 2, "bob", RecordedEvent.PROGRESS, new JsonObject().put("n", 2)),
        new RecordedEvent(0, 1, "alice", RecordedEvent.END, new JsonObject().put("n", 3)));
    List<Long> seqs = await(store.appendEvents(batch));
    assertEquals(3, seqs.size());
    assertTrue(before < seqs.get(0) && seqs.get(0) < seqs.get(1) && seqs.get(1) < seqs.get(2), seqs.toString());
    List<RecordedEvent> read = await(reader.eventsAfter(new EventQuery(null, null, before, 100)));
    assertEquals(seqs, read.stream().map(RecordedEvent::seq).toList());
    assertEquals(List.of(1, 2, 3), read.stream().map(e -> e.job().getInteger("n")).toList());
    assertEquals(RecordedEvent.END, read.get(2).event());
  }

  @Test
  void anOwnersEventsAndEveryonesAreReadAfterASeq() {
    long a1 = append(1, "alice", RecordedEvent.STATE, 0);
    long b1 = append(2, "bob", RecordedEvent.STATE, 0);
    long a2 = append(3, "alice", RecordedEvent.STATE, 0);
    assertEquals(List.of(a1, a2), await(reader.eventsAfter(new EventQuery(null, "alice", 0, 100))).stream()
        .map(RecordedEvent::seq).toList());
    assertEquals(List.of(b1, a2), await(reader.eventsAfter(new EventQuery(null, null, a1, 100))).stream()
        .map(RecordedEvent::seq).toList());
  }

  @Test
  void pruningDeletesOnlyOldEventsAndNumbersAreNeverHandedOutAgain() {
    long old1 = append(1, "alice", RecordedEvent.STATE, 0);
    long old2 = append(1, "alice", RecordedEvent.END, 100);
    Instant cut = clock.instant().plusMillis(500);
    long recent = append(2, "bob", RecordedEvent.STATE, 0);
    assertEquals(2, await(store.pruneEvents(cut)));
    assertTrue(await(reader.latestEvent(1)).isEmpty());
    assertEquals(recent, await(reader.latestEvent(2)).orElseThrow().seq());

    assertEquals(1, await(store.pruneEvents(clock.instant().plusSeconds(1))));
    long after = append(1, "alice", RecordedEvent.STATE, 0);
    assertTrue(after > recent && after > old2 && old2 > old1, "a pruned log must not number events again: " + after);
  }
}
