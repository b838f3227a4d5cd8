package earshot.store;

import static earshot.testsupport.Await.await;

import earshot.jobs.JobStage;
import earshot.jobs.NewJob;
import earshot.testsupport.Await;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SqliteJobStoreTest extends JobStoreContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.SQLITE;
  }

  /**
   * The WAL is copied into the database by the store's own checkpointer, not by a commit: the writer's automatic
   * checkpoint only starts at 10,000 pages (40 MB), far above what this writes, so the database file grows only if
   * the checkpointer ran.
   */
  @Test
  void theWalIsCheckpointedBesideTheWriter() throws IOException {
    Path db = config.sqlitePath();
    long before = Files.size(db);
    String filler = "x".repeat(8_000);
    List<NewJob> jobs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      jobs.add(new NewJob(UUID.randomUUID().toString(), "owner", JobStage.AUDIO_CONVERT, "default", 0, 3,
          new JsonObject().put("local_path", "/tmp/a.wav").put("note", filler), null));
    }
    await(store.insertAll(jobs)); // about 2.4 MB of payload in one transaction
    Await.until("the database file holds the new rows", Deadlines.WAIT, () -> size(db) >= before + 2_000_000);
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
