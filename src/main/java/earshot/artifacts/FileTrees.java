package earshot.artifacts;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Deleting a directory tree that others may be changing at the same time. Blocking file I/O: call from a worker. */
public final class FileTrees {
  private FileTrees() {}

  /**
   * Deletes {@code dir} and everything under it; the number of files deleted (0 when it does not exist). A file gone
   * meanwhile is skipped; a directory that a writer filled meanwhile stays, with what it holds.
   */
  public static int delete(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int[] count = {0};
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (Files.deleteIfExists(file)) {
          count[0]++;
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
        if (exc instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw exc;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
        try {
          Files.deleteIfExists(d);
        } catch (DirectoryNotEmptyException e) {
          // a writer put something meanwhile: it stays
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return count[0];
  }
}
