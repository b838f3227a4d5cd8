package earshot.jobs;

import io.vertx.core.json.JsonObject;

/** A submission, after validation, as the store inserts it. {@code uuid} is chosen by the submitter's side. */
public record NewJob(
    String uuid,
    String ownerUserId,
    JobStage firstStage,
    String queue,
    int priority,
    int maxRetries,
    JsonObject payload,
    String idempotencyKey) {}
