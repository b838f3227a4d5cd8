package earshot.testsupport;

import earshot.jobs.JobStage;
import earshot.runner.StageContext;
import earshot.runner.StageHandler;
import earshot.runner.StageOutcome;
import earshot.runner.StageRegistry;
import io.vertx.core.Future;
import java.util.Arrays;
import java.util.function.BiFunction;

/** Stand-in stages for engine, API and benchmark runs: one handler per stage, all given by one function. */
public final class StandInStages {
  private StandInStages() {}

  public static StageRegistry everyStage(BiFunction<JobStage, StageContext, Future<StageOutcome>> body) {
    return StageRegistry.of(Arrays.stream(JobStage.values()).map(stage -> new StageHandler() {
      @Override
      public JobStage stage() {
        return stage;
      }

      @Override
      public Future<StageOutcome> execute(StageContext ctx) {
        return body.apply(stage, ctx);
      }
    }).toArray(StageHandler[]::new));
  }
}
