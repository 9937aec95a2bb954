// The waiting hall's display: the board from the server's event stream, drawn with text only.
"use strict";

const PARTS = { morning: "Sáng", afternoon: "Chiều" };

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function draw(board) {
  const body = document.getElementById("lines");
  const rows = board.lines.map((line) => {
    const row = document.createElement("tr");
    row.dataset.specialty = line.specialty_code;
    row.dataset.part = line.part_of_day;
    const name = cell(row, line.specialty, "specialty");
    const part = document.createElement("small");
    part.textContent = " " + (PARTS[line.part_of_day] || "");
    name.appendChild(part);
    cell(row, line.current === null ? "—" : String(line.current), "current");
    cell(row, line.next.join("  ") || "—", "next");
    cell(row, String(line.waiting), "waiting");
    return row;
  });
  body.replaceChildren(...rows);
  document.getElementById("empty").hidden = rows.length > 0;
}

function tick() {
  const now = new Date();
  document.getElementById("clock").textContent = now.toLocaleTimeString("vi-VN", {
    hour: "2-digit",
    minute: "2-digit",
  });
}

function connect() {
  const facility = document.body.dataset.facility;
  const language = document.body.dataset.language;
  const status = document.getElementById("status");
  const query = "?facility=" + encodeURIComponent(facility) + "&lang=" + encodeURIComponent(language);
  const source = new EventSource("queue/events" + query);
  source.onopen = () => {
    status.textContent = "";
  };
  source.onmessage = (event) => {
    draw(JSON.parse(event.data));
    document.body.dataset.updated = String(Date.now());
  };
  source.onerror = () => {
    status.textContent = "Mất kết nối, đang thử lại…";
  };
}

document.addEventListener("DOMContentLoaded", () => {
  tick();
  setInterval(tick, 10000);
  connect();
});
