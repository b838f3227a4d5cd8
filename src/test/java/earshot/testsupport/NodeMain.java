package earshot.testsupport;

import java.io.IOException;

/**
 * {@code earshot.Main} for a node that a test starts as a process of its own: it halts when its standard input
 * closes, which happens when the test JVM that started it dies, so no node outlives its test run.
 */
public final class NodeMain {
  private NodeMain() {}

  public static void main(String[] args) {
    Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever written; read() returns -1 when the parent's end of the pipe closes
        }
      } catch (IOException ignored) {
        // the pipe broke: the parent is gone too
      }
      Runtime.getRuntime().halt(137);
    });
    earshot.Main.main(args);
  }
}
