package earshot.scheduler;

import earshot.testsupport.Databases;

class SqliteJobEngineTest extends JobEngineContract {
  @Override
  Databases.Kind kind() {
    return Databases.Kind.SQLITE;
  }
}
