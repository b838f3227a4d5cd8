package earshot.api;

import earshot.testsupport.SmallDisk;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/** The SQLite store, with its database and the node's data directory on an 8 MiB tmpfs. */
class SqliteDiskFullTest extends StoreDiskFullContract {
  @Override
  JsonObject storeOn(Path mountPoint) throws Exception {
    disk = SmallDisk.mount(mountPoint, "8m");
    return new JsonObject()
        .put("data_dir", mountPoint.resolve("data").toString())
        .put("store", new JsonObject().put("url", "sqlite://" + mountPoint.resolve("jobs.db")));
  }
}
