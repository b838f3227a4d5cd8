package earshot.bus;

import io.vertx.core.json.JsonObject;

/**
 * {@code {name, file, models_dir, status: READY | MISSING | INVALID, error?, download?}}: whether the default model of
 * a node's transcriber can run, as the node's readiness reports it. {@code download} is the command that installs it
 * ({@code scripts/download-model.sh NAME}); absent when the configured name is not a whisper.cpp model at all.
 */
public record ModelStatus(String name, String file, String modelsDir, String status, String error, String download) {
  public static final String READY = "READY";
  public static final String MISSING = "MISSING";
  public static final String INVALID = "INVALID";

  public boolean usable() {
    return READY.equals(status);
  }

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("name", name).put("file", file).put("models_dir", modelsDir)
        .put("status", status);
    if (error != null) {
      j.put("error", error);
    }
    if (download != null) {
      j.put("download", download);
    }
    return j;
  }

  public static ModelStatus fromJson(JsonObject j) {
    return j == null ? null : new ModelStatus(j.getString("name"), j.getString("file"), j.getString("models_dir"),
        j.getString("status"), j.getString("error"), j.getString("download"));
  }
}
