// Each Adaptive Card on standard input (a JSON array) parsed by Microsoft's card library as a renderer would:
// prints, per card, what its parser objects to (an unknown element, a value a property does not take).
const AC = require("adaptivecards/dist/adaptivecards.js");
const cards = JSON.parse(require("fs").readFileSync(0, "utf8"));
const found = cards.map((card) => {
  const context = new AC.SerializationContext();
  new AC.AdaptiveCard().parse(card, context);
  const events = [];
  for (let i = 0; i < context.eventCount; i++) events.push(context.getEventAt(i).message);
  return events;
});
console.log(JSON.stringify(found));
