package earshot.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.jobs.PermanentStageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LocalPaths on a real filesystem: a root with a file, a sibling outside it, and symlinks between them. */
class LocalPathsTest {
  @TempDir
  Path tmp;
  Path root;
  Path inside;
  Path outside;

  @BeforeEach
  void tree() throws IOException {
    root = Files.createDirectories(tmp.resolve("media"));
    inside = Files.writeString(Files.createDirectories(root.resolve("talks")).resolve("talk.mp3"), "x");
    outside = Files.writeString(tmp.resolve("secret.mp3"), "x");
  }

  @Test
  void fileUnderARootIsAccepted() throws IOException {
    assertEquals(inside.toRealPath(), LocalPaths.resolve(inside.toString(), List.of(root)));
  }

  @Test
  void secondRootIsConsulted() throws IOException {
    Path other = Files.createDirectories(tmp.resolve("other"));
    assertEquals(inside.toRealPath(), LocalPaths.resolve(inside.toString(), List.of(other, root)));
  }

  @Test
  void symlinkInsideTheRootToAFileInsideIsAccepted() throws IOException {
    Path link = Files.createSymbolicLink(root.resolve("latest.mp3"), inside);
    assertEquals(inside.toRealPath(), LocalPaths.resolve(link.toString(), List.of(root)));
  }

  @Test
  void relativePathIsRefused() {
    String message = refused("media/talks/talk.mp3", List.of(root));
    assertTrue(message.contains("media/talks/talk.mp3") && message.contains("absolute"), message);
  }

  @Test
  void dotDotTraversalOutOfTheRootIsRefused() {
    String path = root + "/talks/../../secret.mp3";
    String message = refused(path, List.of(root));
    assertEquals("local_path '" + path + "' not found or not allowed", message);
  }

  @Test
  void symlinkInsideTheRootPointingOutsideIsRefused() throws IOException {
    Path link = Files.createSymbolicLink(root.resolve("escape.mp3"), outside);
    assertTrue(refused(link.toString(), List.of(root)).endsWith("not found or not allowed"));
  }

  @Test
  void symlinkedDirectoryPointingOutsideIsRefused() throws IOException {
    Path link = Files.createSymbolicLink(root.resolve("up"), tmp);
    assertTrue(refused(link.resolve("secret.mp3").toString(), List.of(root)).endsWith("not found or not allowed"));
  }

  @Test
  void missingAndOutsideFilesGetTheSameAnswer() {
    String missing = refused(root.resolve("nope.mp3").toString(), List.of(root));
    String exists = refused(outside.toString(), List.of(root));
    assertEquals(missing.replace(root.resolve("nope.mp3").toString(), "P"), exists.replace(outside.toString(), "P"));
    assertTrue(missing.contains("nope.mp3"), missing);
  }

  @Test
  void directoryIsRefused() {
    assertTrue(refused(root.resolve("talks").toString(), List.of(root)).contains("not a regular file"));
  }

  @Test
  void noRootsMeansDisabled() {
    assertEquals("local_path is disabled: configure audio.allowed_roots / EARSHOT_ALLOWED_ROOTS",
        refused(inside.toString(), List.of()));
  }

  @Test
  void rootPrefixIsNotEnough() throws IOException {
    // /tmp/x/media-old is not inside /tmp/x/media even though the string starts the same
    Path sibling = Files.writeString(Files.createDirectories(tmp.resolve("media-old")).resolve("a.mp3"), "x");
    assertFalse(sibling.startsWith(root));
    assertTrue(refused(sibling.toString(), List.of(root)).endsWith("not found or not allowed"));
  }

  private static String refused(String path, List<Path> roots) {
    return assertThrows(PermanentStageException.class, () -> LocalPaths.resolve(path, roots)).getMessage();
  }
}
