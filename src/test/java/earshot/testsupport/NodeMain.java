package earshot.testsupport;

import java.io.IOException;

/**
 * {@code earshot.Main} for a node that a test starts as a process of its own: it halts when its standard input
 * closes, which happens when the test JVM that started it dies, so no node outlives its test run. With
 * {@code EARSHOT_TEST_STAGES=noop} its stages do nothing (engine benchmarks).
 */
public final class NodeMain {
  /** Published by a no-op stage as it starts: {@code {id, stage, at_micros}} (benchmarks only). */
  public static final String STAGE_STARTED = "earshot.bench.stage.started";

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
    if ("noop".equals(System.getenv("EARSHOT_TEST_STAGES"))) {
      // every stage completes at once: what is measured is the engine and the bus between the nodes
      earshot.Main.run(args, (config, artifacts, engine, clock) -> StandInStages.everyStage((stage, ctx) -> {
        // when it started, by the wall clock that every node on this machine shares (microseconds on Linux)
        java.time.Instant now = java.time.Instant.now();
        ctx.vertx().eventBus().publish(STAGE_STARTED, new io.vertx.core.json.JsonObject().put("id", ctx.job().id())
            .put("stage", stage.wireName()).put("at_micros", now.getEpochSecond() * 1_000_000 + now.getNano() / 1000));
        return io.vertx.core.Future.succeededFuture(earshot.runner.StageOutcome.completed(ctx.payload()));
      }));
    } else {
      earshot.Main.main(args);
    }
  }
}
