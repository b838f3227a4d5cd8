package earshot.scheduler;

import earshot.jobs.Job;
import earshot.jobs.JobStage;
import earshot.jobs.JobStatus;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;

import earshot.bus.Addresses;
import earshot.testsupport.Databases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PostgresJobEngineTest extends JobEngineContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.POSTGRES;
  }

  @Test
  void aStageReportLostInADatabaseOutageIsDeliveredWhenTheDatabaseIsBackAndTheStageRunsOnce() {
    String url = kind().newUrl(tempDir);
    JsonObject config = EngineNode.config(url);
    config.getJsonObject("jobs").put("lease_seconds", 10); // the outage below is far shorter than a lease
    CompletableFuture<Void> finish = new CompletableFuture<>();
    AtomicBoolean converting = new AtomicBoolean();
    TestStages stages = new TestStages().override(JobStage.AUDIO_CONVERT, ctx -> {
      converting.set(true);
      return Future.fromCompletionStage(finish, Vertx.currentContext())
          .compose(v -> TestStages.record(ctx, JobStage.AUDIO_CONVERT));
    });
    EngineNode node = start(config, stages, "node");
    AtomicInteger convertReports = new AtomicInteger();
    node.vertx.eventBus().addOutboundInterceptor(delivery -> {
      if (delivery.message().address().equals(Addresses.JOBS_STAGE_REPORT)
          && delivery.message().body() instanceof JsonObject body && "audio_convert".equals(body.getString("stage"))) {
        convertReports.incrementAndGet();
      }
      delivery.next();
    });
    Job job = node.submit(new JsonObject().put("local_path", "/srv/a.wav"));
    until("the stage to run", WAIT, converting::get);

    Databases.acceptConnections(url, false);
    try {
      finish.complete(null); // the stage ends while the scheduler cannot write its report
      until("the report to be tried again", WAIT, () -> convertReports.get() >= 2);
    } finally {
      Databases.acceptConnections(url, true);
    }

    Job done = awaitStatus(node, job.id(), JobStatus.COMPLETED);
    assertEquals(0, done.retryCount(), "the lease never ran out, so no retry was charged");
    assertEquals(1, stages.stagesOf(job.id()).stream().filter(s -> s == JobStage.AUDIO_CONVERT).count(),
        "the finished stage was not run again");
  }
}
