-- Each hub's time zone (from hub.registered), so a time in a message reads as the hub's clock
-- shows it. A hub not known here is taken to be in Asia/Jakarta (WIB).
CREATE TABLE hubs (
    code      text PRIMARY KEY,
    name      text NOT NULL,
    timezone  text NOT NULL
);
