package earshot;

import earshot.api.HttpApiVerticle;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.ArtifactStores;
import earshot.api.OpsHttpVerticle;
import earshot.api.RateLimiter;
import earshot.api.UploadSweeper;
import earshot.bus.Addresses;
import earshot.bus.HandOffCodec;
import earshot.bus.ModelStatus;
import earshot.bus.NodeStatus;
import earshot.cluster.SchedulerRoster;
import earshot.config.EarshotConfig;
import earshot.config.EarshotConfig.Role;
import earshot.jobs.JobStage;
import earshot.metrics.JobMetrics;
import earshot.metrics.MicrometerNodeMetrics;
import earshot.metrics.MicrometerQuotaMetrics;
import earshot.metrics.EventMetrics;
import earshot.metrics.MicrometerEventMetrics;
import earshot.metrics.MicrometerUploadMetrics;
import earshot.metrics.NoopEventMetrics;
import earshot.metrics.NodeMetrics;
import earshot.metrics.NoopNodeMetrics;
import earshot.metrics.NoopQuotaMetrics;
import earshot.metrics.MicrometerStreamMetrics;
import earshot.metrics.NoopStreamMetrics;
import earshot.metrics.StreamMetrics;
import earshot.jobs.JobStage;
import earshot.transcribe.LiveDecoder;
import earshot.transcribe.TranscribeStage;
import earshot.transcribe.WhisperEngine;
import earshot.metrics.NoopUploadMetrics;
import earshot.metrics.QuotaMetrics;
import earshot.metrics.UploadMetrics;
import earshot.pipeline.CpuRunnerVerticle;
import earshot.pipeline.Workspace;
import earshot.pipeline.WorkspaceCleaner;
import earshot.quota.QuotaVerticle;
import earshot.runner.StageRegistry;
import earshot.scheduler.JobReaderVerticle;
import earshot.scheduler.SchedulerVerticle;
import earshot.store.JobStores;
import earshot.transcribe.DefaultModelCheck;
import earshot.transcribe.TranscriberVerticle;
import earshot.transcribe.WhisperLibrary;
import earshot.webhook.WebhookVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Earshot node: deploys the verticles of its configured roles in dependency order (scheduler, job readers and webhooks,
 * runners, API) and undeploys them in reverse on shutdown, so a stopping node first stops taking requests, then stops acquiring and
 * lets running stages finish or give their leases back, and closes the store last.
 */
public final class EarshotNode {
  private static final Logger LOG = LoggerFactory.getLogger(EarshotNode.class);

  private final Vertx vertx;
  private final EarshotConfig config;
  private final JobMetrics metrics;
  private final QuotaMetrics quotaMetrics;
  private final UploadMetrics uploadMetrics;
  private final StreamMetrics streamMetrics;
  private final EventMetrics eventMetrics;
  private final NodeMetrics nodeMetrics;
  private final PrometheusMeterRegistry registry;
  private final StageRegistry stages;
  private final Clock clock;
  private final ArtifactStore artifacts;
  private final boolean ownsArtifacts;
  private final String nodeId = UUID.randomUUID().toString();
  private final List<String> deployments = new ArrayList<>();
  private MessageConsumer<JsonObject> statusConsumer;
  private SchedulerRoster roster;
  private HttpApiVerticle api;
  private OpsHttpVerticle ops;
  private volatile boolean deployed;

  /** A node with an artifact store of its own, opened from {@code config} and closed when the node stops. */
  public EarshotNode(Vertx vertx, EarshotConfig config, JobMetrics metrics, PrometheusMeterRegistry registry,
                     StageRegistry stages, Clock clock) {
    this(vertx, config, metrics, registry, stages, clock, ArtifactStores.open(config, clock), true);
  }

  /** A node over {@code artifacts}, the store its stages use too; the caller closes it after the node stopped. */
  public EarshotNode(Vertx vertx, EarshotConfig config, JobMetrics metrics, PrometheusMeterRegistry registry,
                     StageRegistry stages, Clock clock, ArtifactStore artifacts) {
    this(vertx, config, metrics, registry, stages, clock, artifacts, false);
  }

  private EarshotNode(Vertx vertx, EarshotConfig config, JobMetrics metrics, PrometheusMeterRegistry registry,
                      StageRegistry stages, Clock clock, ArtifactStore artifacts, boolean ownsArtifacts) {
    this.artifacts = artifacts;
    this.ownsArtifacts = ownsArtifacts;
    this.vertx = vertx;
    this.config = config;
    this.metrics = metrics;
    this.registry = registry;
    this.quotaMetrics = registry == null ? NoopQuotaMetrics.INSTANCE
        : new MicrometerQuotaMetrics(registry, config.quota().ownerLabels());
    this.uploadMetrics = registry == null ? NoopUploadMetrics.INSTANCE : new MicrometerUploadMetrics(registry);
    this.streamMetrics = registry == null ? NoopStreamMetrics.INSTANCE : new MicrometerStreamMetrics(registry);
    this.eventMetrics = registry == null ? NoopEventMetrics.INSTANCE : new MicrometerEventMetrics(registry);
    this.nodeMetrics = registry == null ? NoopNodeMetrics.INSTANCE : new MicrometerNodeMetrics(registry,
        Arrays.stream(Role.values()).map(Role::wireName).toList(),
        config.roles().stream().map(Role::wireName).toList());
    // Every queue and stage at zero from the start, so a fresh node exports what the dashboard and alerts query.
    metrics.registerKnown(config.queues().all(), Arrays.stream(JobStage.values()).map(JobStage::wireName).toList());
    this.stages = stages;
    this.clock = clock;
  }

  public Future<Void> start() {
    HandOffCodec.register(vertx);
    statusConsumer = vertx.eventBus().localConsumer(Addresses.NODE_STATUS, this::onStatus);
    boolean runners = config.jobs().workerEnabled();
    Future<Void> chain = statusConsumer.completion();
    if (config.runs(Role.SCHEDULER) || config.runs(Role.API)) {
      // The active-job and active-stream counters (one per node): the scheduler checks leases against them, and
      // live streams on API nodes take their places in them.
      chain = chain.compose(v -> deploy("quota counters", () -> new QuotaVerticle(config.quota().redisUrl(),
          config.quota().counterTtl(), quotaMetrics, clock), ThreadingModel.EVENT_LOOP));
    }
    if (config.runs(Role.SCHEDULER)) {
      Supplier<Future<Void>> scheduler = () -> deploy("scheduler",
          () -> new SchedulerVerticle(config, metrics, quotaMetrics, nodeMetrics, clock), ThreadingModel.EVENT_LOOP);
      if (vertx.isClustered()) {
        // At most one scheduler per cluster on SQLite; checked before the store is opened.
        roster = new SchedulerRoster(vertx, nodeId, config.store().isPostgres(), config.cluster().busTimeout());
        chain = chain.compose(v -> roster.join(scheduler));
      } else {
        chain = chain.compose(v -> scheduler.get());
      }
      // Job lookups are answered beside the scheduler, one reader per core, each with its own store handle.
      chain = chain.compose(v -> deploy("job readers", () -> new JobReaderVerticle(config.store()),
          new DeploymentOptions().setThreadingModel(JobStores.readerThreading(config.store()))
              .setInstances(Runtime.getRuntime().availableProcessors())));
      chain = chain.compose(v -> deploy("webhooks", () -> new WebhookVerticle(config.webhooks(),
          config.audio().download(), clock, nodeMetrics, config.cluster().busTimeout()), ThreadingModel.EVENT_LOOP));
    }
    if (runners && config.runs(Role.CPU)) {
      chain = chain.compose(v -> deploy("cpu runner", () -> new CpuRunnerVerticle(config, stages, metrics),
          ThreadingModel.WORKER));
    }
    if (runners && config.runs(Role.GPU)) {
      chain = chain.compose(v -> deploy("transcriber", () -> new TranscriberVerticle(config, stages, metrics),
          ThreadingModel.WORKER));
    }
    WhisperEngine liveEngine = stages.handler(JobStage.AUDIO_TRANSCRIBE)
        .filter(TranscribeStage.class::isInstance).map(h -> ((TranscribeStage) h).engine()).orElse(null);
    if (runners && config.runs(Role.GPU) && liveEngine != null) {
      // Live streams' decode passes, on the same engine (and state cap) as the batch transcriber.
      chain = chain.compose(v -> deploy("live decoder", () -> new LiveDecoder(config.audio(), liveEngine),
          ThreadingModel.EVENT_LOOP));
    }
    if (runners && (config.runs(Role.CPU) || config.runs(Role.GPU))) {
      chain = chain.compose(v -> deploy("workspace cleaner", () -> new WorkspaceCleaner(new Workspace(config.dataDir()),
          artifacts),
          ThreadingModel.WORKER));
    }
    if (!runners && (config.runs(Role.CPU) || config.runs(Role.GPU))) {
      LOG.info("AUDIO_JOBS_WORKER_ENABLED=false: this node runs no stage runners");
    }
    if (config.runs(Role.API)) {
      // Before the first request: upload files that an earlier run left in data/uploads go at start-up.
      chain = chain.compose(v -> deploy("upload sweeper", () -> new UploadSweeper(
          new Workspace(config.dataDir()).uploadsDir(), uploadMetrics, artifacts),
          ThreadingModel.WORKER));
      // Several instances share the port, so request parsing spreads over event loops; the rate limiter is one
      // thread-safe object per node so a caller has one bucket whichever instance serves it.
      RateLimiter limiter = config.api().rateLimit().enabled() ? new RateLimiter(config.api().rateLimit()) : null;
      chain = chain.compose(v -> vertx.deployVerticle(() -> api = new HttpApiVerticle(config, registry, limiter,
              artifacts, quotaMetrics, streamMetrics, eventMetrics, clock),
              new DeploymentOptions().setInstances(config.http().effectiveInstances()))
          .onSuccess(deployments::add)
          .onFailure(err -> LOG.error("could not start the http api: {}", err.getMessage()))
          .mapEmpty());
    }
    if (!config.runs(Role.API) && registry != null) {
      // A worker has no API, but its container health check and Prometheus still need /ready and /metrics.
      chain = chain.compose(v -> deploy("operations listener",
          () -> ops = new OpsHttpVerticle(config.http(), registry, artifacts), ThreadingModel.EVENT_LOOP));
    }
    return chain.onSuccess(v -> {
      deployed = true;
      LOG.info("node {} started with roles {}", nodeId, config.roles());
    });
  }

  /**
   * Answers {@link NodeStatus}. A node that transcribes checks its default model again on every request (file I/O, so
   * in executeBlocking), so readiness follows a model that is installed, removed or replaced while it runs.
   */
  private void onStatus(Message<JsonObject> msg) {
    boolean transcribes = config.jobs().workerEnabled() && config.runs(Role.GPU);
    Future<ModelStatus> model = !transcribes ? Future.succeededFuture()
        : vertx.executeBlocking(() -> DefaultModelCheck.check(config.audio().modelsDir(), config.audio().defaultModel()),
            false);
    model.recover(err -> Future.succeededFuture(new ModelStatus(config.audio().defaultModel(), null,
            config.audio().modelsDir().toString(), ModelStatus.INVALID, "model check failed: " + err, null)))
        .onSuccess(m -> msg.reply(new NodeStatus(nodeId, deployed,
            config.roles().stream().map(Role::wireName).sorted().toList(),
            whisperStatus(), m).toJson()));
  }

  /** The whisper library this process bound and, where this node transcribes, each job's whisper.cpp threads. */
  private JsonObject whisperStatus() {
    return WhisperLibrary.active().map(lib -> {
      JsonObject w = lib.describe();
      if (config.runs(Role.GPU)) {
        w.put("threads_per_job", config.audio().whisper().threads());
      }
      return w;
    }).orElse(null);
  }

  private Future<Void> deploy(String what, Supplier<Deployable> verticle, ThreadingModel model) {
    return deploy(what, verticle, new DeploymentOptions().setThreadingModel(model));
  }

  private Future<Void> deploy(String what, Supplier<Deployable> verticle, DeploymentOptions options) {
    return vertx.deployVerticle(verticle, options)
        .onSuccess(deployments::add)
        .onFailure(err -> LOG.error("could not start the {}: {}", what, err.getMessage()))
        .mapEmpty();
  }

  /** Graceful stop: undeploys in reverse start order (API, runners, scheduler and its store). */
  public Future<Void> stop() {
    deployed = false;
    Future<Void> chain = roster == null ? Future.succeededFuture() : roster.leave().otherwiseEmpty();
    for (String id : deployments.reversed()) {
      chain = chain.compose(v -> vertx.undeploy(id).recover(err -> {
        LOG.warn("undeploy of {} failed: {}", id, err.getMessage());
        return Future.succeededFuture();
      }));
    }
    return chain.compose(v -> statusConsumer == null ? Future.succeededFuture() : statusConsumer.unregister())
        .onComplete(ar -> {
          deployments.clear();
          if (ownsArtifacts) {
            artifacts.close();
          }
        });
  }

  /**
   * The node's own meters; the cluster code feeds {@code cluster_members} through
   * {@link NodeMetrics#clusterMembers}.
   */
  public NodeMetrics nodeMetrics() {
    return nodeMetrics;
  }

  public String nodeId() {
    return nodeId;
  }

  /** The routes this node's HTTP API serves ({@code METHOD /path}), or none without the API role. */
  public java.util.Set<String> httpRoutes() {
    return api == null ? java.util.Set.of() : api.routes();
  }

  /** The HTTP port bound by this node's API, or its operations listener's, or -1 when it has neither. */
  public int httpPort() {
    return api != null ? api.actualPort() : ops != null ? ops.actualPort() : -1;
  }
}
