package earshot.artifacts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The same assertions for every artifact store: a subclass per store provides it. */
abstract class ArtifactStoreContract {
  @TempDir
  Path dir;

  ArtifactStore store;
  Path scratch;

  /** A fresh, empty store whose state lives under {@code dir}. */
  abstract ArtifactStore open(Path dir) throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    store = open(dir);
    scratch = Files.createDirectories(dir.resolve("scratch"));
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  Path file(String name, String content) throws Exception {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  @Test
  void putFetchSizeAndDeleteAnObject() throws Exception {
    Path local = file("a.wav", "RIFF-bytes");
    store.put("jobs/j1/upload.wav", local);
    assertTrue(Files.exists(local), "put keeps the local file");
    assertEquals(OptionalLong.of(10), store.size("jobs/j1/upload.wav"));
    assertTrue(store.exists("jobs/j1/upload.wav"));
    try (ArtifactStore.Local got = store.fetch("jobs/j1/upload.wav", scratch)) {
      assertEquals("RIFF-bytes", Files.readString(got.path()));
    }
    assertTrue(store.delete("jobs/j1/upload.wav"));
    assertFalse(store.exists("jobs/j1/upload.wav"));
    assertFalse(store.delete("jobs/j1/upload.wav"), "a second delete finds nothing");
  }

  @Test
  void aFetchedCopyGoesWhenClosedAndTheObjectStays() throws Exception {
    store.put("jobs/j2/audio.pcm", file("p", "pcm"));
    ArtifactStore.Local fetched;
    try (ArtifactStore.Local got = store.fetch("jobs/j2/audio.pcm", scratch)) {
      fetched = got;
    }
    assertEquals(!fetched.temporary(), Files.exists(fetched.path()),
        "a temporary copy is deleted on close; the store's own file is not");
    assertTrue(store.exists("jobs/j2/audio.pcm"));
    try (var left = Files.list(scratch)) {
      assertEquals(List.of(), left.toList(), "nothing is left in scratch");
    }
  }

  @Test
  void putMovingTakesTheLocalFile() throws Exception {
    Path local = file("moving", "bytes");
    store.putMoving("results/j3/result.json", local);
    assertFalse(Files.exists(local));
    assertEquals(OptionalLong.of(5), store.size("results/j3/result.json"));
  }

  @Test
  void putReplacesWhatWasThere() throws Exception {
    store.put("results/j4/transcript.txt", file("one", "first"));
    store.put("results/j4/transcript.txt", file("two", "second!"));
    try (ArtifactStore.Local got = store.fetch("results/j4/transcript.txt", scratch)) {
      assertEquals("second!", Files.readString(got.path()));
    }
  }

  @Test
  void fetchOfAMissingKeyIsNoSuchFile() {
    assertThrows(NoSuchFileException.class, () -> store.fetch("jobs/none/audio.pcm", scratch));
    assertEquals(OptionalLong.empty(), assertDoesNotThrowSize("jobs/none/audio.pcm"));
  }

  private OptionalLong assertDoesNotThrowSize(String key) {
    try {
      return store.size(key);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void moveRenamesAnObject() throws Exception {
    store.put("uploads/owner/1-abc.mp3", file("m", "mp3"));
    assertTrue(store.move("uploads/owner/1-abc.mp3", "jobs/j5/upload.mp3"));
    assertFalse(store.exists("uploads/owner/1-abc.mp3"));
    assertTrue(store.exists("jobs/j5/upload.mp3"));
    assertFalse(store.move("uploads/owner/1-abc.mp3", "jobs/j5/upload.mp3"), "the source is gone");
  }

  @Test
  void listAndDeleteAPrefix() throws Exception {
    store.put("jobs/j6/upload.wav", file("u", "u"));
    store.put("jobs/j6/audio.pcm", file("p", "pp"));
    store.put("jobs/j6/source.mp3", file("s", "sss"));
    store.put("jobs/j60/audio.pcm", file("other", "other"));
    List<String> keys = store.list("jobs/j6/").stream().map(ArtifactStore.StoredObject::key).sorted().toList();
    assertEquals(List.of("jobs/j6/audio.pcm", "jobs/j6/source.mp3", "jobs/j6/upload.wav"), keys);
    assertEquals(2, store.deleteJobObjects("j6", true), "all but the upload");
    assertEquals(List.of("jobs/j6/upload.wav"),
        store.list("jobs/j6/").stream().map(ArtifactStore.StoredObject::key).toList());
    assertEquals(1, store.deleteJobObjects("j6", false));
    assertEquals(List.of(), store.list("jobs/j6/"));
    assertTrue(store.exists("jobs/j60/audio.pcm"), "a prefix is a whole segment: j60 is not j6's");
    assertEquals(List.of(), store.list("results/nothing/"));
  }

  @Test
  void bytesSurviveTheRoundTrip() throws Exception {
    byte[] data = new byte[300_000];
    new java.util.Random(7).nextBytes(data);
    Path local = Files.write(dir.resolve("bin"), data);
    store.put("jobs/j7/audio.pcm", local);
    try (ArtifactStore.Local got = store.fetch("jobs/j7/audio.pcm", scratch)) {
      assertArrayEquals(data, Files.readAllBytes(got.path()));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape", "/etc/passwd", "jobs/../../etc/passwd", "jobs//x", "jobs/x/", "jobs\\x",
      "jobs/./x", "..", "jobs/x/..", "", "jobs/%2e%2e/x", ".hidden"})
  void keysThatCouldLeaveTheStoreAreRefused(String key) throws Exception {
    Path local = file("t", "t");
    assertThrows(IllegalArgumentException.class, () -> store.put(key, local));
    assertThrows(IllegalArgumentException.class, () -> store.fetch(key, scratch));
    assertThrows(IllegalArgumentException.class, () -> store.delete(key));
    assertThrows(IllegalArgumentException.class, () -> store.size(key));
    try (var files = Files.walk(dir)) {
      assertEquals(List.of(), files.filter(p -> p.getFileName().toString().equals("passwd")).toList());
    }
  }
}
